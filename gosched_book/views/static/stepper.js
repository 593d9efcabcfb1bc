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
//   GoschedStepper.provide(url, b64)       called by a stepper's runs scripts (data-gsb-runs, URLs
//                                          space-separated): some of its what-if runs, each script
//                                          fetched when a change or a link needs a run in it (the
//                                          page data's "chunks" says which); a script works from file://
//   stepper.runs(key)                      Promise: run `key`'s script is here (no key: all of them)
// Parts: data-part="controls" (the dock: buttons, slider, status, ending), "current-line" (the
// listing row just run, or the next one at step 0), "changed-reg" (register rows this step changed),
// "sp" (the SP label in the picture), "end" (the ending banner), for tests and scripts.
// Data: the site gives the page's first stepper a small first blob (<script class="gsb-first-data">,
// JSON: its first scenario only), drawn as soon as the parser reaches it, and puts every stepper's
// data in one <script id="gsb-page-data"> at the end of the page; the first stepper switches to
// that when it has loaded (until then its other choices say "正在载入"), the others start from it. A stepper that still carries its own
// .gsb-data uses that. A scenario's steps list only the registers that changed until it is first
// loaded (stepper.s.trace then has full snapshots).
// Redraws touch only what changed: the listing table is built once per listing (a step moves its
// marks), the register rows once, a picture is redrawn only when it differs, and the listing is
// scrolled last, so a change lays the page out once.
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
    return new Response(stream).json();
  }

  // Steps carry only the registers that changed; a scenario's full snapshots are rebuilt when it
  // is first loaded (not all ~1000 of a page's at unpack).
  function undelta(t) {
    if (!t.regs_delta) return;
    var prev = t.initial.regs;
    t.steps.forEach(function (s) {
      s.regs = Object.assign({}, prev, s.regs);
      prev = s.regs;
    });
    t.regs_delta = false;
  }

  // Set a node's text only when it changes (no DOM write, so no style or layout work, otherwise).
  function text(node, value) {
    if (node.gsbText === value) return;
    node.gsbText = value;
    node.textContent = value;
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
        if (it[8]) { a["data-full"] = it[8]; a["class"] += " gp-cut"; }
        if (it[5] === "sp") a["data-part"] = "sp";
        var t = svgEl("text", a);
        t.textContent = it[3];
        if (it[8]) t.appendChild(svgEl("title", {})).textContent = it[8];
        texts.push(t);
      }
    });
    rects.concat(lines, texts).forEach(function (e) { svg.appendChild(e); });
    var title = items.filter(function (it) { return it[0] === "t" && it[5] === "title"; })[0];
    svg.gsbName = title ? String(title[3]).split("（")[0] : "栈";
    svg.gsbSp = items.some(function (it) { return it[0] === "t" && it[5] === "sp"; });
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
    var q = this.q;
    this.ui = { select: q(".gsb-select"), title: q(".gsb-title"), file: q(".gsb-file"), status: q(".gsb-status"),
                range: q(".gsb-range"), listing: q(".gsb-listing"), regs: q(".gsb-regs"),
                writes: q(".gsb-writes"), end: q(".gsb-end"), picture: q(".gsb-picture"), play: q(".gsb-play"),
                tabs: q(".gsb-tabs"), full: q(".gsb-pic-full"), copy: q(".gsb-copy"), allregs: q(".gsb-allregs") };
    this.focus = null;  // the stack a phone shows: null follows SP, else the panel position the reader chose
    this.runsUrl = root.getAttribute("data-gsb-runs") || "";
    this.runsUrls = this.runsUrl.split(/\s+/).filter(Boolean);  // its what-if runs' scripts
    this.chunkIndex = null;  // run key -> the script holding it (from the page data's "chunks")
    this.chunkPromises = {};
    this.chunksHere = 0;
    this.timer = null;
    this.k = 0;
    this.panelCache = {};
    this.view = null;  // the listing table shown, kept while the file stays the same
    this.views = new Map();  // listing (pool entry) -> its table, so switching files back reuses it
    this.regRows = null;  // the register table's rows, built once
    this.shownPic = null;  // the picture (pool entry) drawn now
    this.extra = null;  // the scenario menu's one option for a run outside its presets (a what-if run)
    var select = this.ui.select;
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
    if (this.ui.copy) this.ui.copy.addEventListener("click", function () { self.copyLink(); });
    if (this.ui.allregs) this.ui.allregs.addEventListener("click", function () {
      var on = !root.classList.contains("gsb-allregs-on");
      root.classList.toggle("gsb-allregs-on", on);
      self.ui.allregs.setAttribute("aria-pressed", on ? "true" : "false");
      self.ui.allregs.textContent = on ? "只看本步改过的寄存器" : "显示全部寄存器";
    });
    if (this.ui.picture) this.ui.picture.addEventListener("click", function (e) {
      var t = e.target.closest ? e.target.closest("[data-full]") : null;
      if (t && self.ui.full) text(self.ui.full, t.getAttribute("data-full"));
    });
    if (this.ui.tabs) this.ui.tabs.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button[data-panel]") : null;
      if (!b) return;
      var i = Number(b.getAttribute("data-panel"));
      self.focus = self.focus === i || b.getAttribute("data-sp") === "1" ? null : i;
      self.shownPic = null;
      self.render();
    });
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
    this.q(".gsb-writes").setAttribute("aria-label", "本步写内存 " + name);
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
    var chunk = !s && this.full ? this.chunkOf(key) : null;
    if (chunk) {  // a what-if run: fetch the script that holds it (once; a later change waits for it too)
      var self = this;
      this.stop();
      this.wanted = [key, k, quiet];
      text(this.ui.status, "正在载入构建时预先跑好的运行……");
      this.runs(key).then(function () {
        var w = self.wanted;
        if (!w || w[0] !== key) return;
        self.wanted = null;
        if (!self.data.scenarios[key] || !self.load(w[0], w[1], w[2])) text(self.ui.status, "这次运行不在本页的数据里。");
      });
      return true;
    }
    if (!s) {
      if (this.full) return false;
      this.stop();
      this.wanted = [key, k, quiet];  // shown when the page data has arrived (upgrade)
      if (this.keys.indexOf(key) >= 0) this.ui.select.value = key;
      text(this.ui.status, "正在载入……");
      return true;
    }
    this.wanted = null;
    this.stop();
    undelta(s.trace);
    this.key = key;
    this.s = s;
    var select = this.ui.select;
    if (this.keys.indexOf(key) < 0) {  // a scenario from the page data, e.g. a what-if run: one option for it
      if (!this.extra) this.extra = select.appendChild(el("option"));
      if (this.extra.value !== key) {
        this.extra.value = key;
        this.extra.textContent = s.title;
      }
    }
    if (select.value !== key) select.value = key;
    text(this.ui.title, s.routine_title + " —— " + s.title);
    var max = String(this.n());
    if (this.ui.range.max !== max) this.ui.range.max = max;
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
      this.chunkIndex = null;
      this.panelCache = {};
      this.views = new Map();
      this.shownPic = null;  // the same picture, from the page's pool: redrawn at the next change
      this.s = data.scenarios[this.key];
      undelta(this.s.trace);
      this.wanted = null;
      if (w) this.load(w[0], w[1], w[2]);
    } else if (w) {
      this.wanted = null;
      text(this.ui.status, "单步器数据无法读取：只有本场景可看");
    }
    if (this.waiting) {
      if (data) this.waiting.parentNode.removeChild(this.waiting);
      else this.waiting.textContent = "改一改：预先跑好的运行无法读取。";
      this.waiting = null;
    }
    var self = this;
    initHooks.forEach(function (fn) { fn(self); });
  };

  // The script holding what-if run `key` (null: none of this stepper's scripts has it).
  Stepper.prototype.chunkOf = function (key) {
    var chunks = this.data.chunks;
    if (!chunks || !this.runsUrls.length) return null;
    if (!this.chunkIndex) {
      var index = this.chunkIndex = {};
      this.runsUrls.forEach(function (u) { (chunks[u] || []).forEach(function (k) { index[k] = u; }); });
    }
    return this.chunkIndex[key] || null;
  };

  // This stepper's what-if runs: run `key`'s script, or with no key every script (tests, tools);
  // each loaded once. Resolves when they are in this.data.
  Stepper.prototype.runs = function (key) {
    var self = this;
    var urls = key === undefined ? this.runsUrls : [this.chunkOf(key)].filter(Boolean);
    return Promise.all(urls.map(function (url) {
      if (!self.chunkPromises[url]) {
        self.chunkPromises[url] = runsFor(url).then(function (extra) {
          if (extra && self.full) absorb(self.data, extra, url);
          if (extra) self.chunksHere++;
          self.runsHere = self.chunksHere === self.runsUrls.length;
          if (!extra && self.waiting) self.waiting.textContent = "改一改：预先跑好的运行无法读取。";
          return extra;
        });
      }
      return self.chunkPromises[url];
    })).then(function () { return self; });
  };

  Stepper.prototype.copyLink = function () {
    var url = location.href.split("#")[0] + this.fragment(), b = this.ui.copy, self = this;
    this.remember();
    function said(ok) {
      b.textContent = ok ? "✔ 已复制" : "链接见地址栏";
      clearTimeout(self.copyTimer);
      self.copyTimer = setTimeout(function () { b.textContent = "复制链接"; }, 1800);
    }
    function fallback() {
      var t = el("textarea");
      t.value = url;
      t.setAttribute("readonly", "");
      t.style.position = "fixed";
      t.style.opacity = "0";
      document.body.appendChild(t);
      t.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(t);
      said(ok);
    }
    b.setAttribute("data-url", url);
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(function () { said(true); }, fallback);
    else fallback();
  };

  Stepper.prototype.go = function (k, quiet) {
    k = Math.max(0, Math.min(Number(k) || 0, this.n()));
    this.k = k;
    this.ui.range.value = String(k);
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
    this.ui.play.gsbPaused = true;
    this.ui.play.textContent = "‖ 暂停";
    this.ui.play.setAttribute("aria-label", "暂停");
    this.ui.play.setAttribute("title", "暂停");
    this.timer = setInterval(function () {
      if (self.k >= self.n()) { self.stop(); return; }
      self.go(self.k + 1);
    }, 700);
  };

  Stepper.prototype.stop = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    var b = this.ui.play;
    if (b.gsbPaused === false) return;  // already showing 播放
    b.gsbPaused = false;
    b.textContent = "▶ 播放";
    b.setAttribute("aria-label", "播放");
    b.setAttribute("title", "播放");
  };

  Stepper.prototype.regsAt = function (k) {
    var t = this.s.trace;
    return k === 0 ? t.initial.regs : t.steps[k - 1].regs;
  };

  // Panel i of the page's pool as an SVG node, drawn once per stepper and reused.
  Stepper.prototype.panel = function (i) {
    var hit = this.panelCache[i];
    if (!hit) hit = this.panelCache[i] = drawPanel(this.data.panels[i]);
    return hit;
  };

  function buildListing(listing) {
    var table = el("table"), rows = {};
    listing.forEach(function (r) {
      var tr = el("tr");
      if (r[4]) { tr.classList.add("patched"); tr.setAttribute("title", "本次运行改过的行"); }
      tr.appendChild(el("td", "mk", ""));
      tr.appendChild(el("td", "ln", String(r[0])));
      var code = el("td"), src = r[1], cut = src.indexOf("//");
      code.appendChild(document.createTextNode(cut >= 0 ? src.slice(0, cut) : src));
      if (cut >= 0) code.appendChild(el("span", "cm", src.slice(cut)));
      tr.appendChild(code);
      tr.appendChild(el("td", "in", r[2]));
      tr.appendChild(el("td", "by", r[3]));
      tr.gsbBytes = String(r[3] || "").replace(/ /g, "");
      table.appendChild(tr);
      (rows[r[0]] = rows[r[0]] || []).push(tr);
    });
    return { listing: listing, table: table, rows: rows, marked: [] };
  }

  // The rows of a step's source line that are its instruction: one row of a macro's expansion
  // (PUSH_REGS_HOST_TO_ABI0 is eight), found by its bytes; the whole line when none match.
  function rowsOf(v, s, file) {
    if (!s || s.file !== file) return [];
    var all = v.rows[s.line] || [];
    if (all.length < 2 || !s.bytes) return all;
    var own = all.filter(function (tr) { return tr.gsbBytes === s.bytes; });
    return own.length ? own : all;
  }

  // The listing: its table is built when the file (or patched listing) changes; a step only moves the marks.
  Stepper.prototype.renderListing = function (file, step, nextStep) {
    var lk = file ? ((this.s.listings && this.s.listings[file]) || file) : "";
    var listing = (lk && this.data.listings[lk]) || null, box = this.ui.listing, v = this.view;
    if (!v || v.listing !== listing) {
      v = listing ? this.views.get(listing) || buildListing(listing) : { listing: null, rows: {}, marked: [] };
      if (listing) this.views.set(listing, v);
      this.view = v;
      box.textContent = listing ? "" : "（此处没有源码）";
      if (listing) box.appendChild(v.table);
      this.scrolled = null;
    }
    v.marked.forEach(function (tr) {
      tr.classList.remove("done", "next");
      tr.removeAttribute("data-part");
      if (!tr.classList.length) tr.removeAttribute("class");  // the same markup as a row never marked
      tr.firstChild.textContent = "";
      tr.firstChild.removeAttribute("title");
    });
    var done = rowsOf(v, step, file), next = rowsOf(v, nextStep, file);
    v.marked = done.concat(next);
    done.forEach(function (tr) {
      tr.classList.add("done");
      tr.firstChild.textContent = "✔";
      tr.firstChild.setAttribute("title", "刚执行");
    });
    next.forEach(function (tr) {
      tr.classList.add("next");
      if (done.indexOf(tr) < 0) tr.firstChild.textContent = "▶";
      tr.firstChild.setAttribute("title", "下一条");
    });
    (done.length ? done : next).forEach(function (tr) { tr.setAttribute("data-part", "current-line"); });
    this.scrollRow = done[done.length - 1] || next[0] || null;
  };

  // Centre the marked row in the listing. Called last in render, after every write (the controls'
  // too), so a change lays the page out once, here, and the frame that paints it has no layout left.
  Stepper.prototype.scroll = function () {
    var r = this.scrollRow, box = this.ui.listing;
    if (r && r !== this.scrolled) {  // the same row stays where it is
      this.scrolled = r;
      box.scrollTop = Math.max(0, r.offsetTop - box.clientHeight / 2);
    }
    // The picture follows SP: its label kept in the middle of the picture's box when the box scrolls.
    var pic = this.ui.picture, sp = pic.querySelector("[data-part=sp]");
    if (!sp || pic.scrollHeight <= pic.clientHeight + 1) return;
    var at = sp.getBoundingClientRect(), b = pic.getBoundingClientRect();
    if (at.height === 0 && at.width === 0) return;  // not shown (another stack in focus)
    var dy = at.top - b.top - pic.clientHeight / 2;
    if (Math.abs(dy) > pic.clientHeight / 4) pic.scrollTop = Math.max(0, pic.scrollTop + dy);
  };

  // Registers: one row each, fixed columns, built once; a step rewrites only the cells that change.
  Stepper.prototype.renderRegs = function (k, step) {
    var t = this.s.trace, labels = t.labels || {}, rt = this.ui.regs;
    var regs = this.regsAt(k), old = k > 0 ? this.regsAt(k - 1) : regs;
    var changed = step ? step.changed : [];
    var tls = step ? step.tls_g : t.initial.tls_g;
    var tlsOld = k > 1 ? t.steps[k - 2].tls_g : t.initial.tls_g;
    var entries = REGS.map(function (r) { return [r, regs[r], old[r], changed.indexOf(r) >= 0]; });
    entries.push(["TLS g", tls, tlsOld, k > 0 && tls !== tlsOld]);
    var fl = flagText(step ? step.flags : t.initial.flags);
    var flOld = flagText(k > 1 ? t.steps[k - 2].flags : t.initial.flags);
    entries.push(["flags", fl, flOld, k > 0 && fl !== flOld]);
    if (!this.regRows) {
      rt.textContent = "";
      var head = el("tr");
      ["寄存器", "值", "本步之前", "指向"].forEach(function (h) {
        var th = el("th", "", h);
        th.setAttribute("scope", "col");
        head.appendChild(th);
      });
      rt.appendChild(head);
      this.regRows = entries.map(function (e) {
        var tr = el("tr"), name = el("th");
        name.setAttribute("scope", "row");
        name.setAttribute("data-reg", e[0]);
        var row = { tr: tr, name: name, val: el("td", "val"), old: el("td", "old"), desc: el("td", "desc"), cls: null };
        [name, row.val, row.old, row.desc].forEach(function (c) { tr.appendChild(c); });
        rt.appendChild(tr);
        return row;
      });
    }
    var rows = this.regRows;
    entries.forEach(function (e, i) {
      var row = rows[i], cls = e[3] ? "changed" : "";
      if (e[0] === "rsp") cls += (cls ? " " : "") + "keep";
      if (row.cls !== cls) {
        row.tr.className = cls;
        row.cls = cls;
        if (e[3]) row.tr.setAttribute("data-part", "changed-reg"); else row.tr.removeAttribute("data-part");
      }
      text(row.name, (e[3] ? "● " : "") + e[0]);
      text(row.val, e[1]);
      text(row.old, e[3] ? e[2] : "");
      text(row.desc, labels[e[1]] || "");
    });
  };

  Stepper.prototype.render = function () {
    var t = this.s.trace, k = this.k, n = this.n(), ui = this.ui, self = this;
    var step = k > 0 ? t.steps[k - 1] : null;
    var labels = t.labels || {};
    text(ui.status, "第 " + k + " / " + n + " 步：" +
      (step ? "刚执行 " + step.routine + ": " + step.plan9 : "尚未执行任何指令"));
    // Listing.
    var next = k < n ? t.steps[k] : null;
    var nextPc = next ? next.pc : t.end.pc;
    var nextStep = next || t.steps.filter(function (s) { return s.pc === nextPc; })[0] || null;
    var file = step && step.file ? step.file : (nextStep ? nextStep.file : "");
    var routine = step ? step.routine : (nextStep ? nextStep.routine : "");
    text(ui.file, (file || "（无源码）") + (routine ? " · " + routine : ""));
    this.renderListing(file, step, nextStep);
    this.renderRegs(k, step);
    // Writes.
    var w = ui.writes;
    w.gsbText = null;
    w.textContent = "";
    if (step && step.writes.length) {
      w.appendChild(document.createTextNode("本步写内存："));
      var ul = el("ul");
      step.writes.forEach(function (x) {
        ul.appendChild(el("li", "mono", x.label + " ← " + x.value + (labels[x.value] ? "  " + labels[x.value] : "")));
      });
      w.appendChild(ul);
    } else {
      text(w, "本步没有写内存。");
    }
    // Ending.
    var end = ui.end, endCls = "gsb-end" + (k === n ? " " + t.end.kind : "");
    if (end.className !== endCls) end.className = endCls;
    end.gsbText = null;
    end.textContent = "";
    if (k === n) {
      end.textContent = "结束 · " + (END[t.end.kind] || t.end.kind) + "：" + t.end.summary;
      (t.whatif || []).forEach(function (line) { end.appendChild(el("div", "gsb-whatif-line", line)); });
    }
    // Picture: redrawn only when it differs from the one shown (steps that write no word share one).
    var pic = ui.picture, panels = this.data.pictures[this.s.pics[k]];
    if (this.shownPic !== panels) {
      this.shownPic = panels;
      var used = {}, nodes = [];
      pic.textContent = "";
      panels.forEach(function (i) {
        var node = self.panel(i);
        node = used[i] ? node.cloneNode(true) : node;  // the same panel twice: a copy
        pic.appendChild(node);
        nodes.push([node, self.panel(i)]);
        used[i] = true;
      });
      this.renderTabs(nodes);
    }
    pic.setAttribute("aria-label", this.s.alts[k]);
    pic.setAttribute("data-step", String(k));
    renderHooks.forEach(function (fn) { fn(self); });
    this.scroll();
  };

  // A phone shows one stack: the one SP is in, or the one the reader picked; one button per stack.
  Stepper.prototype.renderTabs = function (nodes) {
    var focus = this.focus, sp = -1, tabs = this.ui.tabs;
    nodes.forEach(function (n, i) { if (n[1].gsbSp && sp < 0) sp = i; });
    var shown = focus !== null && focus < nodes.length ? focus : (sp >= 0 ? sp : 0);
    nodes.forEach(function (n, i) { n[0].classList.toggle("gsb-focus", i === shown); });
    if (!tabs) return;
    var sig = nodes.map(function (n) { return n[1].gsbName; }).join("|") + "/" + shown + "/" + sp + "/" + focus;
    if (tabs.gsbSig === sig) return;
    tabs.gsbSig = sig;
    tabs.textContent = "";
    if (nodes.length < 2) return;
    nodes.forEach(function (n, i) {
      var b = el("button", i === shown ? "on" : "", n[1].gsbName + (i === sp ? " · SP" : ""));
      b.type = "button";
      b.setAttribute("data-panel", String(i));
      b.setAttribute("aria-pressed", i === shown ? "true" : "false");
      if (i === sp) b.setAttribute("data-sp", "1");
      tabs.appendChild(b);
    });
    if (focus !== null) tabs.appendChild(el("span", "gsb-tab-note", "（已固定；点 SP 所在的栈回到跟随 SP）"));
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
    if (target && target.load(f.key, f.step, true)) {
      target.root.scrollIntoView();
      if (target.wanted && target.runsPromise) return target.runsPromise.then(function () { target.root.scrollIntoView(); });
    }
    return null;
  }

  // --- what-if runs: one script per stepper, loaded on demand ------------------------------
  var runScripts = {};  // url -> {promise, resolve}

  function runsFor(url) {
    var r = runScripts[url];
    if (r && r.promise) return r.promise;
    r = runScripts[url] = runScripts[url] || {};
    r.promise = new Promise(function (resolve) {
      r.resolve = resolve;
      var s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onerror = function () { resolve(null); };
      document.head.appendChild(s);
    });
    return r.promise;
  }

  function provide(url, b64) {
    var r = runScripts[url] = runScripts[url] || {};
    unpack(b64).then(function (d) { if (r.resolve) r.resolve(d); else r.promise = Promise.resolve(d); },
                     function () { if (r.resolve) r.resolve(null); });
  }

  // Add a runs payload's scenarios, pictures, panels and listings to a stepper's data (indices shifted).
  function absorb(data, extra, url) {
    data.gsbAbsorbed = data.gsbAbsorbed || {};
    if (data.gsbAbsorbed[url]) return;
    data.gsbAbsorbed[url] = true;
    var P = data.panels.length, Q = data.pictures.length;
    extra.panels.forEach(function (p) { data.panels.push(p); });
    extra.pictures.forEach(function (pic) { data.pictures.push(pic.map(function (i) { return i + P; })); });
    Object.keys(extra.scenarios).forEach(function (k) {
      if (data.scenarios[k]) return;
      var s = extra.scenarios[k];
      s.pics = s.pics.map(function (i) { return i + Q; });
      data.scenarios[k] = s;
    });
    Object.keys(extra.listings).forEach(function (k) { if (!data.listings[k]) data.listings[k] = extra.listings[k]; });
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
        if (got[0].then) {  // drawn when the page data (at the page's end) is unpacked
          var said = root.querySelector(".gsb-status");
          if (said && !said.textContent) said.textContent = "正在载入……";
        }
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
    provide: provide,
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
        var table = e.tagName === "TABLE";  // a table keeps its role (rows and columns for a screen reader)
        if (!e.getAttribute("role") && !table) e.setAttribute("role", "region");
        if (!e.getAttribute("aria-label")) e.setAttribute("aria-label", (table ? "可左右滚动的表格 " : "可左右滚动的内容 ") + (++n));
      });
  }

  // The dock sticks under the theme's sticky article header; the theme's 回到顶部 pill stays away
  // while a stepper is on screen (it would cover the picture right after 下一步).
  function stickyTop() {
    var h = document.querySelector(".bd-header-article");
    var v = h && getComputedStyle(h).position === "sticky" ? h.offsetHeight : 0;
    document.documentElement.style.setProperty("--gsb-top", v + "px");
  }
  function watchOnScreen() {
    if (!window.IntersectionObserver) return;
    var seen = new Set();
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) seen.add(e.target); else seen.delete(e.target); });
      document.documentElement.classList.toggle("gsb-on-screen", seen.size > 0);
    });
    document.querySelectorAll("[data-gsb]").forEach(function (r) { io.observe(r); });
  }

  api.ready = new Promise(function (resolve) {
    function finish() {
      start();
      loadPageData(true);
      try { focusableScrollers(); } catch (e) { /* never block the steppers */ }
      try { stickyTop(); watchOnScreen(); window.addEventListener("resize", stickyTop); } catch (e) { /* layout only */ }
      Promise.all(pending).then(function () {
        var more = null;
        try { more = fromHash(); } catch (e) { /* a bad link never stops the page */ }
        return more;
      }).then(function () {
        document.documentElement.setAttribute("data-gsb-ready", "1");
        resolve(all);
      }, function () {
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
