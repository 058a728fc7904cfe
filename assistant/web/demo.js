// The demo page's own button, using the widget's window API (kept out of inline script for the CSP).
document.getElementById("open-assistant").addEventListener("click", function () { window.HTXChat.open(); });
