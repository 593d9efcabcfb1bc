// gosched-book static stepper: no framework, no network. Data is inserted as text only.
//
// API (window.GoschedStepper), for the what-if controls and for tests:
//   GoschedStepper.start()                 start every stepper not started yet (idempotent)
//   GoschedStepper.ready                   Promise: all steppers on the page started, with the
//                                          page data (every choice and what-if run) loaded
//   GoschedStepper.load(el, key, step)     show scenario `key` at `step` in the stepper `el`
//                                          (el: the [data-gsb] element or any element inside it);
//                                          returns false if the page has no such key
//   GoschedStepper.keys()                  every scenario key the page's data holds
//   GoschedStepper.get(el)                 the Stepper object of an element
//   GoschedStepper.onInit(fn)              fn(stepper) for every stepper, now and later, and
//                                          again when its full data arrives (stepper.full);
//                                          a stepper's controls live in its .gsb-controls element
//   GoschedStepper.onRender(fn)            fn(stepper) after every render
// Data: the site gives each stepper a small first blob (<script class="gsb-first-data">, JSON: its
// first scenario only), drawn as soon as the parser reaches it, and puts every stepper's data in
// one <script id="gsb-page-data"> at the end of the page; each stepper switches to that when it
// has loaded (until then its other choices say "正在载入"). A stepper that still carries its own
// .gsb-data uses that.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var MAX_FRAGMENT = 400; // longer than any real fragment: ignored unread

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function unpack(b64) {
    var bin = atob(b64.trim());
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).json().then(undelta);
  }

  // Steps carry only the registers that changed; rebuild full snapshots once.
  function undelta(data) {
    Object.keys(data.scenarios).forEach(function (key) {
      var t = data.scenarios[key].trace;
      if (!t.regs_delta) return;
      var prev = t.initial.regs;
      t.steps.forEach(function (s) {
        s.regs = Object.assign({}, prev, s.regs);
        prev = s.regs;
      });
      t.regs_delta = false;
    });
    return data;
  }

  var REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
              "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"];
  var END = { call: "调用", jump: "跳转", "return": "返回", event: "事件", fault: "故障", limit: "步数上限" };

  // ZF, SF, CF and OF: what CMPQ/TESTQ set and the conditional jumps read.
  function flagText(hex) {
    var v = parseInt(hex || "0x2", 16);
    return [["ZF", 6], ["SF", 7], ["CF", 0], ["OF", 11]].map(function (f) {
      return f[0] + "=" + ((v >> f[1]) & 1);
    }).join(" ");
  }

  // --- the picture: picture.panel_json drawn as SVG (the same markup as picture.panel_svg) ----
  function num(v) { return String(v); }

  function arrowHead(x1, y1, x2, y2) {
    var dx = x2 - x1, dy = y2 - y1, n = Math.sqrt(dx * dx + dy * dy) || 1, size = 8;
    var ux = dx / n, uy = dy / n, bx = x2 - ux * size, by = y2 - uy * size;
    var px = -uy * size * 0.45, py = ux * size * 0.45;
    function r(v) { return Math.round(v * 10) / 10; }
    return [[x2, y2], [bx + px, by + py], [bx - px, by - py]].map(function (p) {
      return r(p[0]) + "," + r(p[1]);
    }).join(" ");
  }

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function drawPanel(p) {
    var w = p[0], h = p[1], items = p[2];
    var svg = svgEl("svg", { "class": "gsb-pic", width: num(w), height: num(h),
                             viewBox: "0 0 " + w + " " + h, "aria-hidden": "true" });
    var rects = [], lines = [], texts = [];
    items.forEach(function (it) {
      if (it[0] === "r") {
        rects.push(svgEl("rect", { x: it[1], y: it[2], width: it[3], height: it[4], "class": "gp-b gp-" + it[5] }));
      } else if (it[0] === "a") {
        lines.push(svgEl("line", { x1: it[1], y1: it[2], x2: it[3], y2: it[4], "class": "gp-line gp-s-" + it[5] }));
        lines.push(svgEl("polygon", { points: arrowHead(it[1], it[2], it[3], it[4]), "class": "gp-" + it[5] }));
      } else {
        var a = { x: it[1], y: it[2], "font-size": it[4],
                  "text-anchor": { s: "start", m: "middle", e: "end" }[it[6]], "class": "gp-" + it[5] };
        if (it[7]) a["font-weight"] = "bold";
        var t = svgEl("text", a);
        t.textContent = it[3];
        texts.push(t);
      }
    });
    rects.concat(lines, texts).forEach(function (e) { svg.appendChild(e); });
    return svg;
  }

  // --- one stepper -------------------------------------------------------------------------
  var initHooks = [], renderHooks = [], all = [];

  function titleOf(data, key) {
    var s = data.scenarios[key];
    return s ? s.title : (data.titles || {})[key];
  }

  function Stepper(root, data, keys, full) {
    this.root = root;
    this.data = data;
    this.full = full;  // false while only the first blob is here
    this.wanted = null;  // [key, step, quiet] asked for before the page data arrived
    this.keys = keys.filter(function (k) { return titleOf(data, k) !== undefined; });
    this.q = function (sel) { return root.querySelector(sel); };
    this.timer = null;
    this.k = 0;
    this.panelCache = {};
    var select = this.q(".gsb-select");
    this.keys.forEach(function (key) {
      var o = el("option", "", titleOf(data, key));
      o.value = key;
      select.appendChild(o);
    });
    var self = this;
    select.addEventListener("change", function () { self.load(select.value, 0); });
    this.q(".gsb-first").addEventListener("click", function () { self.stop(); self.go(0); });
    this.q(".gsb-prev").addEventListener("click", function () { self.stop(); self.go(self.k - 1); });
    this.q(".gsb-next").addEventListener("click", function () { self.stop(); self.go(self.k + 1); });
    this.q(".gsb-last").addEventListener("click", function () { self.stop(); self.go(self.n()); });
    this.q(".gsb-play").addEventListener("click", function () { self.toggle(); });
    this.q(".gsb-range").addEventListener("input", function (e) { self.stop(); self.go(Number(e.target.value)); });
    root.addEventListener("keydown", function (e) {
      var t = e.target;
      // Form controls and the scrollable listing/register boxes keep their own keys.
      if (t.tagName === "SELECT" || t.tagName === "INPUT" || t.tagName === "TEXTAREA" ||
          (t.closest && t.closest(".gsb-listing, .gsb-regs-box, .gsb-controls"))) return;
      var k = null;
      if (e.key === "ArrowRight") k = self.k + 1;
      else if (e.key === "ArrowLeft") k = self.k - 1;
      else if (e.key === "Home") k = 0;
      else if (e.key === "End") k = self.n();
      if (k === null) return;
      self.stop();
      self.go(k);
      e.preventDefault();
    });
    this.keys0 = this.keys[0];  // its own scenario, the one its fragment needs no id for
    var nth = all.filter(function (s) { return s.keys0 === self.keys0; }).length;
    var name = this.keys0 + (nth ? " #" + (nth + 1) : "");  // landmarks need distinct names
    root.setAttribute("aria-label", "指令单步器 " + name + "（焦点在单步器上时，← → 键单步）");
    this.q(".gsb-listing").setAttribute("aria-label", "源码清单 " + name + "（可用方向键滚动）");
    this.q(".gsb-regs-box").setAttribute("aria-label", "寄存器表 " + name);
    if (!full && data.whatif) {  // its what-if controls come with the page data (controls.js)
      this.waiting = el("p", "gsb-note gsb-loading", "改一改：正在载入构建时预先跑好的运行……");
      this.q(".gsb-controls").appendChild(this.waiting);
    }
    this.load(this.keys[0], 0, true);
    initHooks.forEach(function (fn) { fn(self); });
  }

  Stepper.prototype.n = function () { return this.s.trace.steps.length; };

  Stepper.prototype.load = function (key, k, quiet) {
    var s = this.data.scenarios[key];
    if (!s) {
      if (this.full) return false;
      this.stop();
      this.wanted = [key, k, quiet];  // shown when the page data has arrived (upgrade)
      if (this.keys.indexOf(key) >= 0) this.q(".gsb-select").value = key;
      this.q(".gsb-status").textContent = "正在载入……";
      return true;
    }
    this.wanted = null;
    this.stop();
    this.key = key;
    this.s = s;
    var select = this.q(".gsb-select");
    if (this.keys.indexOf(key) < 0) {  // a scenario from the page data, e.g. a what-if run
      this.keys.push(key);
      var o = el("option", "", s.title);
      o.value = key;
      select.appendChild(o);
    }
    select.value = key;
    this.q(".gsb-title").textContent = s.routine_title + " —— " + s.title;
    this.q(".gsb-range").max = String(this.n());
    this.go(k || 0, quiet);
    return true;
  };

  // The page data has arrived: use it (the same scenario, so nothing to redraw) or show what was asked.
  Stepper.prototype.upgrade = function (data) {
    if (this.full) return;
    this.full = true;
    var w = this.wanted;
    if (data && data.scenarios[this.key]) {
      this.data = data;
      this.panelCache = {};
      this.s = data.scenarios[this.key];
      this.wanted = null;
      if (w) this.load(w[0], w[1], w[2]);
    } else if (w) {
      this.wanted = null;
      this.q(".gsb-status").textContent = "单步器数据无法读取：只有本场景可看";
    }
    if (this.waiting) {
      if (data) this.waiting.parentNode.removeChild(this.waiting);
      else this.waiting.textContent = "改一改：预先跑好的运行无法读取。";
      this.waiting = null;
    }
    var self = this;
    initHooks.forEach(function (fn) { fn(self); });
  };

  Stepper.prototype.go = function (k, quiet) {
    k = Math.max(0, Math.min(Number(k) || 0, this.n()));
    this.k = k;
    this.q(".gsb-range").value = String(k);
    this.render();
    if (!quiet) this.remember();
  };

  // #<key>:<step> names the stepper whose own scenario is key; others add their id: #<id>/<key>:<step>.
  Stepper.prototype.fragment = function () {
    var own = this.key === this.keys0 && firstOwner(this.key) === this;
    return "#" + (own ? "" : this.root.id + "/") + this.key + ":" + this.k;
  };

  Stepper.prototype.remember = function () {
    try { history.replaceState(null, "", this.fragment()); } catch (e) { /* some file:// setups */ }
  };

  Stepper.prototype.toggle = function () {
    if (this.timer) { this.stop(); return; }
    var self = this;
    if (this.k >= this.n()) this.go(0);
    this.q(".gsb-play").textContent = "‖ 暂停";
    this.q(".gsb-play").setAttribute("aria-label", "暂停");
    this.q(".gsb-play").setAttribute("title", "暂停");
    this.timer = setInterval(function () {
      if (self.k >= self.n()) { self.stop(); return; }
      self.go(self.k + 1);
    }, 700);
  };

  Stepper.prototype.stop = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    var b = this.q(".gsb-play");
    b.textContent = "▶ 播放";
    b.setAttribute("aria-label", "播放");
    b.setAttribute("title", "播放");
  };

  Stepper.prototype.regsAt = function (k) {
    var t = this.s.trace;
    return k === 0 ? t.initial.regs : t.steps[k - 1].regs;
  };

  Stepper.prototype.panel = function (i) {
    var hit = this.panelCache[i];
    if (!hit) hit = this.panelCache[i] = drawPanel(this.data.panels[i]);
    return hit.cloneNode(true);
  };

  Stepper.prototype.render = function () {
    var t = this.s.trace, k = this.k, n = this.n(), self = this;
    var step = k > 0 ? t.steps[k - 1] : null;
    var labels = t.labels || {};
    this.q(".gsb-status").textContent = "第 " + k + " / " + n + " 步：" +
      (step ? "刚执行 " + step.routine + ": " + step.plan9 : "尚未执行任何指令");
    this.q(".gsb-pos").textContent = k + " / " + n;
    // Listing.
    var next = k < n ? t.steps[k] : null;
    var nextPc = next ? next.pc : t.end.pc;
    var nextStep = next || t.steps.filter(function (s) { return s.pc === nextPc; })[0] || null;
    var file = step && step.file ? step.file : (nextStep ? nextStep.file : "");
    var routine = step ? step.routine : (nextStep ? nextStep.routine : "");
    this.q(".gsb-file").textContent = (file || "（无源码）") + (routine ? " · " + routine : "");
    var box = this.q(".gsb-listing");
    box.textContent = "";
    var listing = file && this.data.listings[(this.s.listings && this.s.listings[file]) || file];
    if (listing) {
      var table = el("table"), doneRow = null;
      listing.forEach(function (r) {
        var tr = el("tr");
        if (r[4]) { tr.classList.add("patched"); tr.setAttribute("title", "本次运行改过的行"); }
        var isDone = step && step.file === file && step.line === r[0];
        var isNext = nextStep && nextStep.file === file && nextStep.line === r[0];
        var mark = el("td", "mk", isDone ? "✔" : (isNext ? "▶" : ""));
        if (isDone) { tr.classList.add("done"); mark.setAttribute("title", "刚执行"); }
        if (isNext) { tr.classList.add("next"); mark.setAttribute("title", "下一条"); }
        tr.appendChild(mark);
        tr.appendChild(el("td", "ln", String(r[0])));
        var code = el("td"), text = r[1], cut = text.indexOf("//");
        code.appendChild(document.createTextNode(cut >= 0 ? text.slice(0, cut) : text));
        if (cut >= 0) code.appendChild(el("span", "cm", text.slice(cut)));
        tr.appendChild(code);
        tr.appendChild(el("td", "in", r[2]));
        tr.appendChild(el("td", "by", r[3]));
        table.appendChild(tr);
        if (isDone || (isNext && !doneRow)) doneRow = tr;
      });
      box.appendChild(table);
      if (doneRow) box.scrollTop = Math.max(0, doneRow.offsetTop - box.clientHeight / 2);
    } else {
      box.textContent = "（此处没有源码）";
    }
    // Registers: one per row, fixed columns, so nothing moves between steps.
    var regs = this.regsAt(k), old = k > 0 ? this.regsAt(k - 1) : regs;
    var changed = step ? step.changed : [];
    var rt = this.q(".gsb-regs");
    rt.textContent = "";
    var head = el("tr");
    ["寄存器", "值", "本步之前", "指向"].forEach(function (h) {
      var th = el("th", "", h);
      th.setAttribute("scope", "col");
      head.appendChild(th);
    });
    rt.appendChild(head);
    var tls = step ? step.tls_g : t.initial.tls_g;
    var tlsOld = k > 1 ? t.steps[k - 2].tls_g : t.initial.tls_g;
    var entries = REGS.map(function (r) { return [r, regs[r], old[r], changed.indexOf(r) >= 0]; });
    entries.push(["TLS g", tls, tlsOld, k > 0 && tls !== tlsOld]);
    var fl = flagText(step ? step.flags : t.initial.flags);
    var flOld = flagText(k > 1 ? t.steps[k - 2].flags : t.initial.flags);
    entries.push(["flags", fl, flOld, k > 0 && fl !== flOld]);
    entries.forEach(function (e) {
      var tr = el("tr", e[3] ? "changed" : "");
      var name = el("th", "", (e[3] ? "● " : "") + e[0]);
      name.setAttribute("scope", "row");
      name.setAttribute("data-reg", e[0]);
      tr.appendChild(name);
      tr.appendChild(el("td", "val", e[1]));
      tr.appendChild(el("td", "old", e[3] ? e[2] : ""));
      tr.appendChild(el("td", "desc", labels[e[1]] || ""));
      rt.appendChild(tr);
    });
    // Writes.
    var w = this.q(".gsb-writes");
    w.textContent = "";
    if (step && step.writes.length) {
      w.appendChild(document.createTextNode("本步写内存："));
      var ul = el("ul");
      step.writes.forEach(function (x) {
        ul.appendChild(el("li", "mono", x.label + " ← " + x.value + (labels[x.value] ? "  " + labels[x.value] : "")));
      });
      w.appendChild(ul);
    } else {
      w.textContent = "本步没有写内存。";
    }
    // Ending.
    var end = this.q(".gsb-end");
    end.className = "gsb-end";
    end.textContent = "";
    if (k === n) {
      end.classList.add(t.end.kind);
      end.textContent = "结束 · " + (END[t.end.kind] || t.end.kind) + "：" + t.end.summary;
      (t.whatif || []).forEach(function (line) { end.appendChild(el("div", "gsb-whatif-line", line)); });
    }
    // Picture.
    var pic = this.q(".gsb-picture");
    pic.textContent = "";
    this.data.pictures[this.s.pics[k]].forEach(function (i) { pic.appendChild(self.panel(i)); });
    pic.setAttribute("aria-label", this.s.alts[k]);
    pic.setAttribute("data-step", String(k));
    renderHooks.forEach(function (fn) { fn(self); });
  };

  function firstOwner(key) {
    for (var i = 0; i < all.length; i++) if (all[i].keys0 === key) return all[i];
    return null;
  }

  // --- URL fragments: linear, bounded, never throwing ------------------------------------------
  function parseFragment(hash) {
    if (!hash || hash.length > MAX_FRAGMENT) return null;
    var text;
    try { text = decodeURIComponent(hash.charAt(0) === "#" ? hash.slice(1) : hash); }
    catch (e) { return null; }  // a malformed %-escape is no link
    var colon = text.lastIndexOf(":");
    if (colon < 0 || !/^\d{1,6}$/.test(text.slice(colon + 1))) return null;
    var head = text.slice(0, colon), slash = head.indexOf("/"), id = null;
    if (slash >= 0) { id = head.slice(0, slash); head = head.slice(slash + 1); }
    if (head.indexOf(":") < 0) return null;
    return { id: id, key: head, step: Number(text.slice(colon + 1)) };
  }

  function fromHash() {
    var f = parseFragment(location.hash);
    if (!f) return;
    var target = null;
    if (f.id) {
      var node = document.getElementById(f.id);
      target = node && node.gsbStepper;
    }
    target = target || firstOwner(f.key) ||
      all.filter(function (s) { return s.keys.indexOf(f.key) >= 0; })[0] || null;
    if (target && target.load(f.key, f.step, true)) target.root.scrollIntoView();
  }

  // --- starting --------------------------------------------------------------------------------
  var pageResolve, pageAsked = false;
  var pageData = new Promise(function (resolve) { pageResolve = resolve; });  // the data, or null

  // Unpack the page data once its element has been parsed; `last`: the page is parsed, so none comes.
  function loadPageData(last) {
    if (pageAsked) return;
    var node = document.getElementById("gsb-page-data");
    if (!node) { if (last) { pageAsked = true; pageResolve(null); } return; }
    pageAsked = true;
    unpack(node.textContent).then(pageResolve, function (err) {
      if (window.console) console.warn("gsb-page-data:", err);
      pageResolve(null);
    });
  }

  // [data, full] of a stepper: its first blob at once, its own data, or the page data.
  function dataFor(root) {
    var first = root.querySelector(".gsb-first-data");
    if (first) return [JSON.parse(first.textContent), false];
    var own = root.querySelector(".gsb-data");
    if (own) return [unpack(own.textContent), true];
    return [pageData.then(function (d) { return d || Promise.reject(new Error("页面上没有单步器数据")); }), true];
  }

  var pending = [];
  var order = [];
  var usedIds = {};

  function start() {
    document.querySelectorAll("[data-gsb]").forEach(function (root) {
      if (root.gsbStarted) return;
      root.gsbStarted = true;
      var keys = [];
      try { keys = JSON.parse(root.getAttribute("data-gsb-keys") || "[]"); } catch (e) { keys = []; }
      if (!root.id) {
        var base = "gsb-" + String(keys[0] || "stepper").replace(/[^A-Za-z0-9_-]+/g, "-"), id = base, i = 2;
        while (usedIds[id] || document.getElementById(id)) id = base + "-" + i++;
        root.id = id;
      }
      usedIds[root.id] = true;
      var slot = order.length;
      order.push(null);
      function make(data, full) {
        if (!keys.length) keys = Object.keys(data.scenarios);
        var st = new Stepper(root, data, keys, full);
        root.gsbStepper = st;
        order[slot] = st;
        all.length = 0;  // page order, whatever order the data arrived in
        order.forEach(function (s) { if (s) all.push(s); });
        return st;
      }
      function fail(err) {
        var s = root.querySelector(".gsb-status");
        if (s) s.textContent = "单步器数据无法读取：" + err;
        return null;
      }
      var made;
      try {
        var got = dataFor(root);
        // A first blob draws now, while the parser is still here; the rest when its data is unpacked.
        made = got[0].then ? got[0].then(function (d) { return make(d, got[1]); })
          : Promise.resolve(make(got[0], got[1]));
      } catch (err) {
        made = Promise.reject(err);
      }
      pending.push(made.then(function (st) {
        return st.full ? st : pageData.then(function (d) { st.upgrade(d); return st; });
      }).catch(fail));
    });
    loadPageData(false);
  }

  var api = window.GoschedStepper = {
    start: start,
    keys: function () {
      var out = {};
      all.forEach(function (s) { Object.keys(s.data.scenarios).forEach(function (k) { out[k] = 1; }); });
      return Object.keys(out);
    },
    get: function (node) {
      var root = node && node.closest ? node.closest("[data-gsb]") : null;
      return root ? root.gsbStepper || null : null;
    },
    load: function (node, key, step) {
      var st = api.get(node);
      return st ? st.load(key, step || 0) : false;
    },
    onInit: function (fn) { initHooks.push(fn); all.forEach(fn); },
    onRender: function (fn) { renderHooks.push(fn); },
    parseFragment: parseFragment,
    all: all
  };
  window.gsbSteppers = all;

  // Whatever scrolls sideways inside the article (wide tables, listings) must be reachable by keyboard.
  function focusableScrollers() {
    var n = 0;
    document.querySelectorAll(".bd-article table, .bd-article .gsb-listing, .bd-article .mono, .bd-article .gsb-regs-box")
      .forEach(function (e) {
        if (e.hasAttribute("tabindex") || e.scrollWidth <= e.clientWidth + 1) return;
        var cs = getComputedStyle(e);
        if (!/auto|scroll/.test(cs.overflowX + cs.overflowY)) return;
        e.setAttribute("tabindex", "0");
        if (!e.getAttribute("role")) e.setAttribute("role", "region");
        if (!e.getAttribute("aria-label")) e.setAttribute("aria-label", "可左右滚动的内容 " + (++n));
      });
  }

  api.ready = new Promise(function (resolve) {
    function finish() {
      start();
      loadPageData(true);
      try { focusableScrollers(); } catch (e) { /* never block the steppers */ }
      Promise.all(pending).then(function () {
        try { fromHash(); } catch (e) { /* a bad link never stops the page */ }
        document.documentElement.setAttribute("data-gsb-ready", "1");
        resolve(all);
      });
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", finish);
    else finish();
  });
  window.addEventListener("hashchange", function () { try { fromHash(); } catch (e) { /* ignore */ } });
  start();
})();
