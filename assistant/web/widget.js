/* Trợ lý kinh tế tập thể — embeddable chat widget.
 *
 * One tag on any page:
 *   <script src="https://assistant.example.gov.vn/widget.js" defer
 *           data-api-base="https://assistant.example.gov.vn" data-title="Hỏi đáp hợp tác xã"
 *           data-lang="vi" data-position="right" data-color="#0b5cad"></script>
 * or from script: window.HTXChat.init({apiBase, title, lang, position, color}); .open(); .close()
 *
 * No framework, no build step. A custom element with its own Shadow DOM so the host page's
 * CSS cannot reach inside. Every piece of model or document text is set with
 * textContent, never innerHTML.
 */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("htx-chat")) return;

  var script = document.currentScript;
  var STRINGS = {
    vi: {
      title: "Hỏi đáp kinh tế tập thể",
      subtitle: "Trả lời từ Luật Hợp tác xã 2023, Nghị định 92/2024 và Chương trình hành động, có trích dẫn",
      open: "Mở trợ lý hỏi đáp", close: "Đóng", send: "Gửi", stop: "Dừng",
      input: "Câu hỏi của bạn", placeholder: "Nhập câu hỏi của bạn…",
      log: "Cuộc trò chuyện", you: "Bạn", bot: "Trợ lý",
      citizens: "Người dân thường hỏi", officials: "Cán bộ thường hỏi",
      sources: "Nguồn", openDoc: "Mở văn bản tại vị trí này",
      helpful: "Câu trả lời hữu ích", unhelpful: "Câu trả lời chưa hữu ích", thanks: "Cảm ơn bạn đã góp ý.",
      stopped: "(đã dừng)", thinking: "Đang tìm trong văn bản…",
      failed: "Không kết nối được máy chủ. Vui lòng thử lại sau.",
      notice: "Thông tin tham khảo; văn bản gốc là căn cứ chính thức.",
      newChat: "Cuộc trò chuyện mới",
      inForce: "hiệu lực từ", changed: "có thay đổi từ", checked: "Văn bản cập nhật đến", related: "Xem thêm", more: "Xem đầy đủ"
    },
    en: {
      title: "Collective economy Q&A",
      subtitle: "Answers from the 2023 Law on Cooperatives, Decree 92/2024 and the action program, with citations",
      open: "Open the assistant", close: "Close", send: "Send", stop: "Stop",
      input: "Your question", placeholder: "Type your question…",
      log: "Conversation", you: "You", bot: "Assistant",
      citizens: "Citizens often ask", officials: "Officials often ask",
      sources: "Sources", openDoc: "Open the document at this place",
      helpful: "Helpful answer", unhelpful: "Not helpful", thanks: "Thank you for the feedback.",
      stopped: "(stopped)", thinking: "Searching the documents…",
      failed: "Could not reach the server. Please try again later.",
      notice: "For reference; the original documents are authoritative.",
      newChat: "New conversation",
      inForce: "in force from", changed: "changed from", checked: "Documents checked on", related: "See also", more: "Show all"
    }
  };
  // The documents are Vietnamese, so the example questions are too, whatever the UI language.
  var SUGGESTIONS = {
    citizens: [
      "Cần bao nhiêu thành viên để thành lập hợp tác xã?",
      "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?",
      "16 tuổi có được vào hợp tác xã không?"
    ],
    officials: [
      "Cơ quan nào cấp giấy chứng nhận đăng ký hợp tác xã?",
      "Đến năm 2030 tỉnh có bao nhiêu hợp tác xã?",
      "Ai tổ chức học tập, quán triệt Nghị quyết 20 ở cấp huyện?"
    ]
  };
  // "2025-07-01" -> "01/7/2025", as Vietnamese documents write dates
  function vnDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[3] + "/" + (+m[2]) + "/" + m[1] : "";
  }
  var MAX_KEPT = 30;       // messages kept in sessionStorage for a reload
  var MAX_MESSAGE = 1000;  // the API's limit
  var FOLD_CHARS = 400;    // ~9 lines on a phone; folds to 6

  function attr(name, fallback) {
    var v = script && script.getAttribute("data-" + name);
    return v === null || v === undefined || v === "" ? fallback : v;
  }

  function defaultBase() {
    try { return new URL(script.src, location.href).origin; } catch (e) { return location.origin; }
  }

  var config = {
    apiBase: attr("api-base", script ? defaultBase() : location.origin),
    title: attr("title", null),
    lang: attr("lang", "vi"),
    position: attr("position", "right"),
    color: attr("color", "#0b5cad"),
    mode: attr("mode", "bubble")  // "page": fills its container, always open (the /chat page)
  };

  // Text on the accent colour: black or white, whichever contrasts more (WCAG).
  // Any CSS colour works ("#fc0", "gold", "rgb(…)"): the browser resolves it first.
  function textOn(color) {
    var probe = document.createElement("span");
    probe.style.color = color;
    probe.style.display = "none";
    (document.body || document.documentElement).appendChild(probe);
    var m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(probe).color);
    probe.remove();
    if (!m) return "#ffffff";
    var rgb = [+m[1], +m[2], +m[3]].map(function (c) {
      c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return (L + 0.05) / 0.05 > 1.05 / (L + 0.05) ? "#111111" : "#ffffff";
  }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      if (k === "text") node.textContent = props[k];
      else if (k === "className") node.className = props[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), props[k]);
      else node.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  var SVG = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    up: "M2 10h4v11H2zM8 21h9.3a2 2 0 0 0 2-1.6l1.4-7A2 2 0 0 0 18.7 10H14V5a2 2 0 0 0-2-2l-4 7z",
    down: "M2 3h4v11H2zM8 3h9.3a2 2 0 0 1 2 1.6l1.4 7A2 2 0 0 1 18.7 14H14v5a2 2 0 0 1-2 2l-4-7z"
  };
  function icon(name) {
    var svg = document.createElementNS(SVG, "svg"), path = document.createElementNS(SVG, "path");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "18"); svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    path.setAttribute("d", ICONS[name]); path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  var CSS = [
    ":host{all:initial;display:block;--accent:#0b5cad;--on-accent:#fff;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:15px;line-height:1.45;color:#1a1a1a}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".launcher{display:flex;align-items:center;gap:8px;position:fixed;bottom:calc(20px + env(safe-area-inset-bottom));z-index:2147483000;border:0;border-radius:28px;padding:0 20px;height:56px;background:var(--accent);color:var(--on-accent);font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".right .launcher{right:calc(20px + env(safe-area-inset-right))}.left .launcher{left:calc(20px + env(safe-area-inset-left))}",
    ".panel{position:fixed;bottom:calc(88px + env(safe-area-inset-bottom));z-index:2147483001;width:400px;max-width:calc(100vw - 32px);height:min(640px,calc(100vh - 120px));display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}",
    ".right .panel{right:calc(20px + env(safe-area-inset-right))}.left .panel{left:calc(20px + env(safe-area-inset-left))}",
    ".page{height:100%;display:flex;flex-direction:column}",
    ".page .panel{position:static;flex:1;min-height:0;width:100%;max-width:none;height:auto;border-radius:0;box-shadow:none}",
    "header{display:flex;align-items:flex-start;gap:8px;padding:12px 14px;background:var(--accent);color:var(--on-accent)}",
    "header h2{margin:0;font-size:16px;line-height:1.3}header p{margin:2px 0 0;font-size:12.5px;opacity:.95}",
    "header .grow{flex:1}",
    ".icon{border:0;background:transparent;color:inherit;font:inherit;font-size:20px;line-height:1;width:36px;height:36px;border-radius:8px;cursor:pointer}",
    ".log{position:relative;flex:1;min-height:0;overflow-y:auto;padding:14px;background:#f6f7f9}",
    ".msg{margin:0 0 12px;max-width:92%;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".user{margin-left:auto;background:var(--accent);color:var(--on-accent);padding:8px 12px;border-radius:14px 14px 4px 14px;width:fit-content}",
    ".bot{background:#fff;border:1px solid #d9dce1;padding:10px 12px;border-radius:14px 14px 14px 4px}",
    ".bot .who,.user .who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    ".status{color:#4a4f57;font-style:italic}",
    ".changed{display:block;margin:4px 0;padding:6px 10px;border-left:3px solid #b35c00;background:#fff4e5;color:#4d2800}",
    ".error{color:#a4000f}",
    ".sources{margin-top:8px;border-top:1px solid #e3e5e8;padding-top:6px;white-space:normal}",
    ".sources h3{margin:0 0 4px;font-size:12.5px;color:#4a4f57;font-weight:600}",
    ".fold{max-height:9em;overflow:hidden;-webkit-mask-image:linear-gradient(#000 60%,transparent)}",
    ".fold.open{max-height:none;-webkit-mask-image:none}",
    ".unfold{display:block;margin:2px 0 8px;border:0;background:none;color:#0a4a8a;padding:2px 0;cursor:pointer;font:inherit;text-decoration:underline}",
    ".related{margin:0;padding-left:18px;font-size:13.5px}.related li{margin:2px 0}.lead{margin:0 0 8px;font-weight:600}",
    "details{margin:4px 0}summary{cursor:pointer;color:#0a4a8a;font-size:13.5px}",
    "blockquote{margin:6px 0;padding:6px 10px;border-left:3px solid var(--accent);background:#f3f5f8;white-space:pre-wrap;font-size:13.5px}",
    "a{color:#0a4a8a}",
    ".rate{display:flex;gap:6px;align-items:center;margin-top:6px;white-space:normal}",
    ".rate button{display:inline-flex;align-items:center;border:1px solid #c4c8ce;background:#fff;color:#3a3f46;border-radius:8px;padding:4px 10px;cursor:pointer}",
    ".rate button[aria-pressed=true]{background:#e6effa;border-color:#0a4a8a}",
    ".rate span{font-size:12.5px;color:#2f6b2f}",
    ".suggest{padding:4px 0}.suggest h3{font-size:13px;margin:10px 0 6px;color:#4a4f57}",
    ".suggest button{display:block;width:100%;text-align:left;margin:0 0 6px;padding:8px 10px;border:1px solid #c4c8ce;border-radius:10px;background:#fff;color:#1a1a1a;font:inherit;font-size:14px;cursor:pointer}",
    "form{position:relative;display:flex;gap:8px;align-items:flex-end;padding:10px 12px calc(10px + env(safe-area-inset-bottom));border-top:1px solid #e3e5e8;background:#fff}",
    "textarea{flex:1;resize:none;min-height:42px;max-height:120px;padding:10px;border:1px solid #8a9099;border-radius:10px;font:inherit;color:#1a1a1a}",
    ".send,.stop{height:42px;padding:0 14px;border:0;border-radius:10px;background:var(--accent);color:var(--on-accent);font:inherit;font-weight:600;cursor:pointer}",
    ".stop{background:#5a5f66;color:#fff}",
    ".notice{margin:0;padding:0 12px 8px;font-size:11.5px;color:#4a4f57;background:#fff}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "button:focus-visible,textarea:focus-visible,summary:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #111;outline-offset:2px;box-shadow:0 0 0 2px #fff}",
    "@media (max-width:640px){.bubble .panel{inset:0;width:100%;max-width:none;height:100%;height:100dvh;border-radius:0;bottom:0;right:0;left:0;padding-top:env(safe-area-inset-top);padding-left:env(safe-area-inset-left);padding-right:env(safe-area-inset-right)}}",
    "@media (prefers-reduced-motion:no-preference){.panel{transition:opacity .15s}}"
  ].join("\n");

  class HTXChat extends HTMLElement {}

  HTXChat.prototype.connectedCallback = function () {
    if (this._built) return;
    this._built = true;
    this.cfg = Object.assign({}, config, this._options || {});
    this.t = STRINGS[this.cfg.lang] || STRINGS.vi;
    this.storeKey = "htx-chat:" + this.cfg.apiBase;
    this.busy = false;
    this.build();
    this.restore();
    if (this.cfg.mode === "page") this.open();
  };

  HTXChat.prototype.build = function () {
    var t = this.t, self = this, cfg = this.cfg;
    var root = this.attachShadow({ mode: "open" });
    this.setAttribute("lang", cfg.lang === "en" ? "en" : "vi");
    root.appendChild(el("style", { text: CSS }));
    var wrap = el("div", { className: (cfg.mode === "page" ? "page" : "bubble") + " " + (cfg.position === "left" ? "left" : "right") });
    wrap.style.setProperty("--accent", cfg.color);
    wrap.style.setProperty("--on-accent", textOn(cfg.color));
    var panelId = "htx-panel";
    // the accessible name starts with the visible text (WCAG label-in-name)
    this.launcher = el("button", { className: "launcher", type: "button", "aria-controls": panelId, "aria-expanded": "false",
      "aria-label": (cfg.title || t.title) + " — " + t.open, onclick: function () { self.open(); } },
      [icon("chat"), el("span", { text: cfg.title || t.title })]);
    this.log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": t.log, tabindex: "0" });
    this.input = el("textarea", { id: "htx-input", rows: "1", maxlength: String(MAX_MESSAGE), placeholder: t.placeholder });
    this.sendBtn = el("button", { className: "send", type: "submit", text: t.send });
    this.stopBtn = el("button", { className: "stop", type: "button", text: t.stop, hidden: "",
      onclick: function () { self.stop(); } });
    var form = el("form", { onsubmit: function (e) { e.preventDefault(); self.submit(); } }, [
      el("label", { className: "sr", "for": "htx-input", text: t.input }), this.input, this.sendBtn, this.stopBtn
    ]);
    this.input.addEventListener("keydown", function (e) {
      // Enter sends; Shift+Enter is a new line; while an input method (Telex, VNI) is
      // composing a syllable, Enter belongs to it.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        self.submit();
      }
    });
    var header = el("header", null, [
      el("div", { className: "grow" }, [el("h2", { id: "htx-title", text: cfg.title || t.title }), el("p", { text: t.subtitle })]),
      el("button", { className: "icon", type: "button", "aria-label": t.newChat, title: t.newChat, text: "↺",
        onclick: function () { self.reset(); } }),
      cfg.mode === "page" ? null : el("button", { className: "icon", type: "button", "aria-label": t.close, title: t.close,
        text: "✕", onclick: function () { self.close(); } })
    ]);
    this.panel = el("section", { className: "panel", id: panelId, role: "dialog", "aria-labelledby": "htx-title", hidden: "" },
      [header, this.log, form, this.footer = el("p", { className: "notice", text: t.notice })]);
    this.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && self.cfg.mode !== "page") { e.stopPropagation(); self.close(); }
    });
    if (cfg.mode !== "page") wrap.appendChild(this.launcher);
    wrap.appendChild(this.panel);
    root.appendChild(wrap);
  };

  HTXChat.prototype.open = function () {
    this.panel.hidden = false;
    this.launcher.hidden = this.cfg.mode !== "page" && window.matchMedia("(max-width: 640px)").matches;
    this.launcher.setAttribute("aria-expanded", "true");
    if (!this.log.children.length) this.showSuggestions();
    this.input.focus();
    this.showChecked();
  };

  // when the documents were last checked (GET /readyz), in the footer
  HTXChat.prototype.showChecked = function () {
    var self = this;
    if (this.checkedAsked) return;
    this.checkedAsked = true;
    fetch(this.cfg.apiBase + "/readyz", { credentials: "omit" }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (ready) {
      if (ready && ready.checked) self.footer.textContent = self.t.notice + " " + self.t.checked + " " + vnDate(ready.checked) + ".";
    }).catch(function () { /* the footer keeps its notice */ });
  };

  HTXChat.prototype.close = function () {
    if (this.cfg.mode === "page") return;
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  };

  HTXChat.prototype.showSuggestions = function () {
    var self = this, t = this.t;
    var box = el("div", { className: "suggest" });
    [["citizens", t.citizens], ["officials", t.officials]].forEach(function (g) {
      box.appendChild(el("h3", { text: g[1] }));
      SUGGESTIONS[g[0]].forEach(function (q) {
        box.appendChild(el("button", { type: "button", text: q, onclick: function () { self.ask(q); } }));
      });
    });
    this.suggestions = box;
    this.log.appendChild(box);
  };

  HTXChat.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text || this.busy) return;
    this.input.value = "";
    this.ask(text.slice(0, MAX_MESSAGE));
  };

  // --- conversation state kept across reloads (sessionStorage: this tab only) ---
  HTXChat.prototype.saved = function () {
    try { return JSON.parse(sessionStorage.getItem(this.storeKey)) || { session: null, messages: [] }; }
    catch (e) { return { session: null, messages: [] }; }
  };
  HTXChat.prototype.save = function (state) {
    state.messages = state.messages.slice(-MAX_KEPT);
    try { sessionStorage.setItem(this.storeKey, JSON.stringify(state)); } catch (e) { /* private mode: no memory */ }
  };
  HTXChat.prototype.remember = function (message) {
    var s = this.saved(); s.messages.push(message); this.save(s);
  };
  HTXChat.prototype.restore = function () {
    var self = this, s = this.saved();
    s.messages.forEach(function (m) {
      if (m.role === "user") self.addUser(m.text);
      else self.renderAnswer(self.addBot(), m);
    });
  };
  HTXChat.prototype.reset = function () {
    this.generation = (this.generation || 0) + 1;  // an answer on its way belongs to the old chat
    if (this.controller) this.controller.abort();
    try { sessionStorage.removeItem(this.storeKey); } catch (e) { /* ignore */ }
    while (this.log.firstChild) this.log.removeChild(this.log.firstChild);
    this.showSuggestions();
    this.input.focus();
  };

  HTXChat.prototype.addUser = function (text) {
    if (this.suggestions) { this.suggestions.remove(); this.suggestions = null; }
    var node = el("div", { className: "msg user" }, [el("span", { className: "who", text: this.t.you + ": " }), el("span", { text: text })]);
    this.log.appendChild(node);
    return node;
  };
  HTXChat.prototype.addBot = function () {
    var body = el("div", { className: "text" });
    var node = el("div", { className: "msg bot" }, [el("span", { className: "who", text: this.t.bot + ": " }), body]);
    node.body = body;
    this.log.appendChild(node);
    return node;
  };
  HTXChat.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };
  // an answer taller than the view is shown from its first line: the answer comes first
  HTXChat.prototype.reveal = function (node) {
    var log = this.log, top = log.scrollTop + node.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    log.scrollTop = Math.min(log.scrollHeight - log.clientHeight, Math.max(0, top));
  };

  HTXChat.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.sendBtn.hidden = busy;
    this.stopBtn.hidden = !busy;
    if (!busy) this.input.focus();
  };

  HTXChat.prototype.stop = function () { if (this.controller) this.controller.abort(); };

  HTXChat.prototype.ask = function (text) {
    var self = this, generation = this.generation || 0;
    this.addUser(text);
    this.remember({ role: "user", text: text });
    var bot = this.addBot();
    bot.body.textContent = this.t.thinking;
    bot.body.className = "text status";
    bot.setAttribute("aria-busy", "true");  // screen readers wait for the whole answer
    this.scroll();
    this.setBusy(true);
    var state = { text: "", lead: "", citations: [], notices: [], related: [], message_id: null, found: false, started: false };
    this.controller = new AbortController();
    var signal = this.controller.signal;
    this.stream(text, bot, state, signal).catch(function (err) {
      if (signal.aborted) return "stopped";
      if (err && err.status && err.status < 500) throw err;  // our own request was refused: say why
      if (state.message_id) throw err;  // the server has this turn already: asking again would answer twice
      return self.plain(text, signal).then(function (data) {  // streaming failed: ask once without it
        state.text = data.answer; state.citations = data.citations; state.message_id = data.message_id;
        state.notices = data.notices || []; state.related = data.related || []; state.lead = data.lead || "";
        self.keepSession(data.session_id);
      });
    }).catch(function (err) {
      if (signal.aborted) return "stopped";
      throw err;
    }).then(function (how) {
      if (generation !== (self.generation || 0)) return;  // the chat was cleared meanwhile
      if (how === "stopped") {
        state.text = (state.text ? state.text + " " : "") + self.t.stopped;
      }
      self.renderAnswer(bot, state);
      self.remember({ role: "bot", text: state.text, lead: state.lead, citations: state.citations, notices: state.notices, related: state.related,
                      message_id: state.message_id });
    }, function (err) {
      bot.body.className = "text error";
      bot.body.textContent = (err && err.detail) || self.t.failed;
    }).then(function () { bot.removeAttribute("aria-busy"); self.setBusy(false); self.reveal(bot); });
  };

  HTXChat.prototype.keepSession = function (id) {
    if (!id) return;
    var s = this.saved(); s.session = id; this.save(s);
  };

  function failure(res) {
    return res.json().catch(function () { return {}; }).then(function (body) {
      var err = new Error("HTTP " + res.status);
      err.status = res.status;
      err.detail = body && body.detail;
      throw err;
    });
  }

  HTXChat.prototype.request = function (path, body, signal, accept) {
    return fetch(this.cfg.apiBase + path, {
      method: "POST", signal: signal, credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": accept || "application/json" },
      body: JSON.stringify(body)
    });
  };

  // POST /api/chat/stream, read with a stream reader; events: meta, token, citations, done, error.
  HTXChat.prototype.stream = function (text, bot, state, signal) {
    var self = this;
    return this.request("/api/chat/stream", { message: text, session_id: this.saved().session }, signal, "text/event-stream")
      .then(function (res) {
        if (!res.ok) return failure(res);
        if (!res.body || !res.body.getReader) throw new Error("no stream reader");
        var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "", finished = false;
        function handle(block) {
          var name = "message", data = [];
          block.split(/\r?\n/).forEach(function (line) {
            if (!line || line.charAt(0) === ":") return;  // keep-alive comment
            var i = line.indexOf(":"), field = i < 0 ? line : line.slice(0, i), value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "event") name = value; else if (field === "data") data.push(value);
          });
          if (!data.length) return;
          var payload = JSON.parse(data.join("\n"));
          if (name === "meta") { self.keepSession(payload.session_id); state.message_id = payload.message_id; }
          else if (name === "token") {
            if (!state.started) { state.started = true; bot.body.className = "text"; bot.body.textContent = ""; }
            state.text += payload.text;
            bot.body.textContent = state.text;
            self.reveal(bot);
          } else if (name === "citations") state.citations = payload.citations || [];
          else if (name === "done") {
            // the final text is authoritative: an LLM answer that failed its checks is replaced
            state.found = payload.found; state.message_id = payload.message_id; finished = true;
            if (typeof payload.answer === "string") state.text = payload.answer;
            state.notices = payload.notices || []; state.related = payload.related || []; state.lead = payload.lead || "";
          }
          else if (name === "error") { var e = new Error(payload.detail || "stream error"); e.status = 503; e.detail = payload.detail; throw e; }
        }
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              buffer += decoder.decode();
              if (buffer.trim()) handle(buffer);
              if (!finished) throw new Error("stream ended early");
              return "done";
            }
            buffer += decoder.decode(chunk.value, { stream: true });
            var parts = buffer.split(/\r?\n\r?\n/);
            buffer = parts.pop();
            parts.forEach(handle);
            return pump();
          });
        }
        return pump();
      });
  };

  HTXChat.prototype.plain = function (text, signal) {
    return this.request("/api/chat", { message: text, session_id: this.saved().session }, signal)
      .then(function (res) { return res.ok ? res.json() : failure(res); });
  };

  HTXChat.prototype.renderAnswer = function (bot, m) {
    var self = this, t = this.t;
    bot.body.className = "text";
    bot.body.textContent = "";
    // the lead, set apart, when the answer opens with it
    var text = m.text || "";
    if (m.lead && !text.indexOf(m.lead)) { bot.body.appendChild(el("p", { className: "lead", text: m.lead })); text = text.slice(m.lead.length).trim(); }
    // Past what answers (the lead, else the first part) a long quote folds; a notice never does
    text.split("\n\n").forEach(function (para, pi, paras) {
      var lines = para.split("\n"), notes = lines.filter(function (l) { return /^Lưu ý:/.test(l); });
      var body = lines.filter(function (l) { return !/^Lưu ý:/.test(l); }).join("\n");
      var sep = pi < paras.length - 1 ? "\n\n" : "";
      if ((pi || text != m.text) && body.length > FOLD_CHARS) {
        var box = bot.body.appendChild(el("div", { className: "fold", text: body }));
        bot.body.appendChild(el("button", { type: "button", className: "unfold", "aria-expanded": "false", text: t.more,
          onclick: function (e) { box.className = "fold open"; e.currentTarget.hidden = true; } }));
      } else if (body) {
        bot.body.appendChild(document.createTextNode(body + (notes.length ? "\n" : sep)));
      }
      notes.forEach(function (line, i) {
        bot.body.appendChild(el("span", { className: "changed", role: "note", text: line + (i < notes.length - 1 ? "\n" : sep) }));
      });
    });
    var changedFrom = {};
    (m.notices || []).forEach(function (n) { if (!changedFrom[n.n]) changedFrom[n.n] = n.effective; });
    if (m.citations && m.citations.length) {
      var list = el("div", { className: "sources" }, [el("h3", { text: t.sources })]);
      m.citations.forEach(function (c) {
        var href = self.cfg.apiBase + "/api/documents/" + encodeURIComponent(c.doc_id) + (c.anchor ? "#" + encodeURIComponent(c.anchor) : "");
        var when = (c.effective ? " · " + t.inForce + " " + vnDate(c.effective) : "") +
          (changedFrom[c.n] ? " · " + t.changed + " " + vnDate(changedFrom[c.n]) : "");
        list.appendChild(el("details", null, [
          el("summary", { text: "[" + c.n + "] " + c.label + " — " + c.document + when }),
          el("blockquote", { text: c.quote }),
          el("a", { href: href, target: "_blank", rel: "noopener", text: t.openDoc })
        ]));
      });
      bot.appendChild(list);
    }
    if (m.related && m.related.length) {
      var more = el("ul", { className: "related" });
      m.related.forEach(function (r) {
        var href = self.cfg.apiBase + "/api/documents/" + encodeURIComponent(r.doc_id) + (r.anchor ? "#" + encodeURIComponent(r.anchor) : "");
        more.appendChild(el("li", null, [el("a", { href: href, target: "_blank", rel: "noopener", text: (r.short_title || r.title) + " — " + r.document, title: r.title })]));
      });
      bot.appendChild(el("div", { className: "sources related-list" }, [el("h3", { text: t.related }), more]));
    }
    if (m.message_id) bot.appendChild(this.rating(m.message_id));
  };

  HTXChat.prototype.rating = function (messageId) {
    var self = this, t = this.t, note = el("span", { role: "status" });
    var buttons = [[1, "up", t.helpful], [-1, "down", t.unhelpful]].map(function (r) {
      return el("button", { type: "button", "aria-label": r[2], title: r[2], "aria-pressed": "false", "data-rating": String(r[0]),
        onclick: function (e) {
          var btn = e.currentTarget;
          self.request("/api/feedback", { message_id: messageId, rating: r[0] }).then(function (res) {
            if (!res.ok) return failure(res);
            buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === btn)); b.disabled = true; });
            note.textContent = t.thanks;
          }).catch(function () { note.textContent = t.failed; });
        } }, [icon(r[1])]);
    });
    return el("div", { className: "rate" }, buttons.concat([note]));
  };

  window.customElements.define("htx-chat", HTXChat);

  var api = {
    element: null,
    init: function (options) {
      if (api.element) { if (api.element.controller) api.element.controller.abort(); api.element.remove(); }
      var node = document.createElement("htx-chat");
      node._options = options || {};
      (document.body || document.documentElement).appendChild(node);
      api.element = node;
      return api;
    },
    open: function () { if (!api.element) api.init(); api.element.open(); },
    close: function () { if (api.element) api.element.close(); }
  };
  window.HTXChat = api;
  if (attr("auto", "true") !== "false") {
    if (document.body) api.init();
    else document.addEventListener("DOMContentLoaded", function () { if (!api.element) api.init(); });
  }
})();
