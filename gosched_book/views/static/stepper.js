// gosched-book static stepper: no framework, no network. Data is inserted as text only.
(function () {
  "use strict";

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

  function Stepper(root, data) {
    this.root = root;
    this.data = data;
    this.q = function (sel) { return root.querySelector(sel); };
    this.timer = null;
    this.k = 0;
    var select = this.q(".gsb-select");
    data.scenarios.forEach(function (s, i) {
      var o = el("option", "", s.title);
      o.value = String(i);
      select.appendChild(o);
    });
    var self = this;
    select.addEventListener("change", function () { self.load(Number(select.value), 0); });
    this.q(".gsb-first").addEventListener("click", function () { self.go(0); });
    this.q(".gsb-prev").addEventListener("click", function () { self.go(self.k - 1); });
    this.q(".gsb-next").addEventListener("click", function () { self.go(self.k + 1); });
    this.q(".gsb-last").addEventListener("click", function () { self.go(self.n()); });
    this.q(".gsb-play").addEventListener("click", function () { self.toggle(); });
    this.q(".gsb-range").addEventListener("input", function (e) { self.go(Number(e.target.value)); });
    root.addEventListener("keydown", function (e) {
      if (e.target.tagName === "SELECT") return;
      if (e.key === "ArrowRight") { self.go(self.k + 1); e.preventDefault(); }
      else if (e.key === "ArrowLeft") { self.go(self.k - 1); e.preventDefault(); }
      else if (e.key === "Home") { self.go(0); e.preventDefault(); }
      else if (e.key === "End") { self.go(self.n()); e.preventDefault(); }
    });
    this.load(0, 0, true);
  }

  Stepper.prototype.n = function () { return this.s.trace.steps.length; };

  Stepper.prototype.load = function (i, k, quiet) {
    this.stop();
    this.i = i;
    this.s = this.data.scenarios[i];
    this.q(".gsb-select").value = String(i);
    this.q(".gsb-title").textContent = this.s.routine_title + " —— " + this.s.title;
    var range = this.q(".gsb-range");
    range.max = String(this.n());
    this.go(k, quiet);
  };

  Stepper.prototype.go = function (k, quiet) {
    k = Math.max(0, Math.min(k, this.n()));
    this.k = k;
    this.q(".gsb-range").value = String(k);
    this.render();
    if (!quiet) this.remember();
  };

  Stepper.prototype.remember = function () {
    var hash = "#" + this.s.key + ":" + this.k;
    try { history.replaceState(null, "", hash); } catch (e) { /* some file:// setups */ }
  };

  Stepper.prototype.toggle = function () {
    if (this.timer) { this.stop(); return; }
    var self = this;
    if (this.k >= this.n()) this.go(0);
    this.q(".gsb-play").textContent = "‖ 暂停";
    this.q(".gsb-play").setAttribute("aria-label", "暂停");
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
  };

  Stepper.prototype.regsAt = function (k) {
    var t = this.s.trace;
    return k === 0 ? t.initial.regs : t.steps[k - 1].regs;
  };

  Stepper.prototype.render = function () {
    var t = this.s.trace, k = this.k, n = this.n();
    var step = k > 0 ? t.steps[k - 1] : null;
    var labels = t.labels || {};
    // Status, announced as text.
    this.q(".gsb-status").textContent = "第 " + k + " / " + n + " 步：" +
      (step ? "刚执行 " + step.routine + ": " + step.plan9 : "尚未执行任何指令");
    // Listing.
    var next = k < n ? t.steps[k] : null;
    var nextPc = next ? next.pc : t.end.pc;
    var nextStep = next || t.steps.filter(function (s) { return s.pc === nextPc; })[0] || null;
    var file = step && step.file ? step.file : (nextStep ? nextStep.file : "");
    var box = this.q(".gsb-listing");
    box.textContent = "";
    if (file && this.data.listings[file]) {
      box.appendChild(el("div", "mono", file));
      var table = el("table"), doneRow = null;
      this.data.listings[file].forEach(function (r) {
        var tr = el("tr");
        var isDone = step && step.file === file && step.line === r[0];
        var isNext = nextStep && nextStep.file === file && nextStep.line === r[0];
        if (isDone) tr.classList.add("done");
        if (isNext) tr.classList.add("next");
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
    // Registers.
    var regs = this.regsAt(k), old = k > 0 ? this.regsAt(k - 1) : regs;
    var changed = step ? step.changed : [];
    var rt = this.q(".gsb-regs");
    rt.textContent = "";
    var head = el("tr");
    ["寄存器", "值", "指向", "寄存器", "值", "指向"].forEach(function (h) { head.appendChild(el("th", "", h)); });
    rt.appendChild(head);
    // Two registers per row keeps the table short in a book column.
    function cells(tr, name, value, before, isChanged) {
      var cls = isChanged ? "changed" : "";
      var n = el("td", cls, name);
      n.setAttribute("data-reg", name);
      if (isChanged) n.setAttribute("aria-label", name + " 已改变：" + before + " → " + value);
      tr.appendChild(n);
      var v = el("td", cls);
      if (isChanged) { v.appendChild(el("span", "old", before)); v.appendChild(document.createTextNode(" → ")); }
      v.appendChild(document.createTextNode(value));
      tr.appendChild(v);
      tr.appendChild(el("td", cls + " desc", labels[value] || ""));
    }
    var tls = step ? step.tls_g : t.initial.tls_g;
    var tlsOld = k > 1 ? t.steps[k - 2].tls_g : t.initial.tls_g;
    var entries = REGS.map(function (r) { return [r, regs[r], old[r], changed.indexOf(r) >= 0]; });
    entries.push(["TLS g", tls, tlsOld, k > 0 && tls !== tlsOld]);
    var fl = flagText(step ? step.flags : t.initial.flags);
    var flOld = flagText(k > 1 ? t.steps[k - 2].flags : t.initial.flags);
    entries.push(["flags", fl, flOld, k > 0 && fl !== flOld]);
    var half = Math.ceil(entries.length / 2);
    for (var i = 0; i < half; i++) {
      var tr = el("tr");
      cells.apply(null, [tr].concat(entries[i]));
      if (entries[i + half]) cells.apply(null, [tr].concat(entries[i + half]));
      rt.appendChild(tr);
    }
    // Writes.
    var w = this.q(".gsb-writes");
    w.textContent = "";
    if (step && step.writes.length) {
      w.appendChild(document.createTextNode("本步写内存："));
      var ul = el("ul");
      step.writes.forEach(function (x) {
        ul.appendChild(el("li", "", x.label + " ← " + x.value + (labels[x.value] ? "  " + labels[x.value] : "")));
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
    }
    // Picture.
    var svg = this.data.pictures[this.s.pictures[k]];
    var img = this.q(".gsb-picture");
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    img.setAttribute("data-step", String(k));
  };

  function fromHash(steppers) {
    var m = /^#(.+:.+):(\d+)$/.exec(decodeURIComponent(location.hash || ""));
    if (!m) return;
    var key = m[1], step = m[2];
    for (var j = 0; j < steppers.length; j++) {
      var st = steppers[j];
      for (var i = 0; i < st.data.scenarios.length; i++) {
        if (st.data.scenarios[i].key === key) {
          st.load(i, Number(step), true);
          st.root.scrollIntoView();
          return;
        }
      }
    }
  }

  function start() {
    var roots = document.querySelectorAll("[data-gsb]");
    var pending = [];
    roots.forEach(function (root) {
      if (root.gsbStarted) return;
      root.gsbStarted = true;
      var blob = root.querySelector(".gsb-data");
      pending.push(unpack(blob.textContent).then(function (data) {
        return new Stepper(root, data);
      }).catch(function (err) {
        root.querySelector(".gsb-status").textContent = "单步器数据无法读取：" + err;
      }));
    });
    Promise.all(pending).then(function (steppers) {
      window.gsbSteppers = steppers.filter(Boolean);
      fromHash(window.gsbSteppers);
      document.documentElement.setAttribute("data-gsb-ready", "1");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // In-page links like <a href="#gogo:recover:12"> (exercise answers) open that step.
  window.addEventListener("hashchange", function () { fromHash(window.gsbSteppers || []); });
})();
