// Sorts a targets table by the column whose header is clicked (again: the other way).
document.addEventListener("click", function (e) {
  var button = e.target.closest("th button");
  if (!button) return;
  var th = button.parentNode, table = th.closest("table"), col = Array.prototype.indexOf.call(th.parentNode.children, th);
  var up = th.getAttribute("aria-sort") !== "ascending";
  Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
  th.setAttribute("aria-sort", up ? "ascending" : "descending");
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  function key(row) {
    var cell = row.cells[col], v = cell.getAttribute("data-sort");
    return v !== null ? (v === "" ? -Infinity : parseFloat(v)) : cell.textContent.trim();
  }
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "vi");
    return up ? c : -c;
  });
  rows.forEach(function (r) { body.appendChild(r); });
});
