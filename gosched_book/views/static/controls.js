// gosched-book static what-if controls. Every choice names a scenario key that was run on
// Unicorn when the book was built; a change only loads that key (GoschedStepper API), so the
// page always shows a real run, and the URL fragment (key + step) reproduces it.
(function () {
  "use strict";
  var GROUPS = [["choice", "场景参数"], ["slider", "场景参数"], ["patch", "改一行代码"],
                ["register", "入口寄存器（rip 总是例程入口）"], ["memory", "例程读的内存字"]];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Called when a stepper starts and again when its full data arrives (stepper.full).
  function build(st) {
    var spec = (st.data.controls || {})[st.keys0];
    var box = st.root.querySelector(".gsb-controls");
    if (!spec || !box || box.gsbBuilt) return;
    box.gsbBuilt = true;
    var where = {};  // key -> [control index, value index]
    spec.controls.forEach(function (c, i) {
      c.values.forEach(function (v, j) { if (j !== c.base && !where[v[2]]) where[v[2]] = [i, j]; });
    });
    var details = el("details", "gsb-whatif");
    details.appendChild(el("summary", "", "改一改：每个选择都是构建本书时真跑过的一次运行"));
    // Its runs come in scripts of their own: a change fetches the one that holds its run (st.load).
    var note = el("p", "gsb-note gsb-whatif-note");
    note.setAttribute("role", "status");
    details.appendChild(note);
    // How the run shown ends, here where the change is made (the dock's banner shows it at the last step).
    var ending = el("p", "gsb-whatif-end");
    ending.setAttribute("data-part", "end");
    details.appendChild(ending);
    var inputs = [], groups = {};
    GROUPS.forEach(function (g) {
      if (groups[g[1]]) return;
      var fs = el("fieldset", "gsb-group");
      fs.appendChild(el("legend", "", g[1]));
      groups[g[1]] = fs;
    });
    var groupOf = {};
    GROUPS.forEach(function (g) { groupOf[g[0]] = groups[g[1]]; });
    spec.controls.forEach(function (c, i) {
      var row = el("div", "gsb-ctl"), id = st.root.id + "-ctl-" + i, input;
      var label = el("label", "", c.label);
      label.htmlFor = id;
      if (c.help) label.title = c.help;
      if (c.kind === "slider") {
        input = el("input");
        input.type = "range";
        input.min = "0";
        input.max = String(c.values.length - 1);
        input.step = "1";
      } else {
        input = el("select");
        c.values.forEach(function (v, j) {
          var o = el("option", "", v[0]);
          o.value = String(j);
          input.appendChild(o);
        });
      }
      input.id = id;
      input.setAttribute("data-ctl", c.name);
      var meaning = el("span", "gsb-meaning");
      meaning.setAttribute("aria-live", "polite");
      input.addEventListener(c.kind === "slider" ? "input" : "change", function () {
        var v = c.values[Number(input.value)];
        if (!v) return;
        st.load(v[2], st.k);  // the same step of the other run (load clamps it)
      });
      row.appendChild(label);
      row.appendChild(input);
      if (c.kind === "slider") row.appendChild(el("output", "gsb-readout mono"));
      row.appendChild(meaning);
      var group = groupOf[c.kind];
      if (c.raw && !group.gsbLiveOnly) {  // one line per group, where the free-form field would be
        group.gsbLiveOnly = true;
        group.appendChild(el("p", "gsb-liveonly",
          c.kind === "patch" ? spec.live_only.edit : spec.live_only.raw));
      }
      group.appendChild(row);
      inputs.push([c, input, meaning, row]);
    });
    Object.keys(groups).forEach(function (name) {
      if (groups[name].querySelector(".gsb-ctl")) details.appendChild(groups[name]);
    });
    box.appendChild(details);
    st.gsbControls = { spec: spec, where: where, inputs: inputs, note: note, details: details, ending: ending };
    function ui() { return st.gsbControls; }
    sync(st);
  }

  // Show the values of the loaded run: the moved control at its value, every other at the base.
  var END = { call: "调用", jump: "跳转", "return": "返回", event: "事件", fault: "故障", limit: "步数上限" };

  function sync(st) {
    var ui = st.gsbControls;
    if (!ui || ui.synced === st.key) return;  // a step within the same run changes no control
    ui.synced = st.key;
    var e = st.s && st.s.trace.end;
    ui.ending.textContent = e ? "这次运行的结局（共 " + st.s.trace.steps.length + " 步）：" +
      (END[e.kind] || e.kind) + "：" + e.summary : "";
    ui.ending.className = "gsb-whatif-end" + (e ? " " + e.kind : "");
    var own = st.key === ui.spec.base, at = ui.where[st.key] || null;
    var known = own || at !== null;
    ui.inputs.forEach(function (item, i) {
      var c = item[0], input = item[1], j = at && at[0] === i ? at[1] : c.base;
      input.disabled = !known;
      input.value = String(j);
      var v = c.values[j];
      item[2].textContent = v ? v[1] : "";
      var out = item[3].querySelector("output");
      if (out) out.textContent = v ? v[0] : "";
      item[3].classList.toggle("moved", !!(at && at[0] === i));
    });
    var note = "";
    if (!known) {
      note = "这些控件作用于本单步器自己的场景；在“场景”里选回它即可再改。";
    } else if (at) {
      var c = ui.spec.controls[at[0]], was = ui.moved && ui.moved[0] !== at[0] ? ui.spec.controls[ui.moved[0]] : null;
      note = "已改：" + c.label + " = " + c.values[at[1]][0] + (was
        ? "。刚才改的“" + was.label + "”回到了本场景的值：本页的每个选择都是构建时单独跑好的一次运行，" +
          "只改一处；几处一起改请在 JupyterLab 里试。"
        : "（其余控件是本场景的值；一次只改一处）");
    }
    if (known) ui.moved = at;
    ui.note.textContent = note;
    // The ending sits under the control that made this run (at the top when none did).
    var host = at ? ui.inputs[at[0]][3] : ui.note;
    if (ui.ending.previousSibling !== host) host.parentNode.insertBefore(ui.ending, host.nextSibling);
  }

  function start() {
    var api = window.GoschedStepper;
    if (!api) return false;
    api.onInit(build);
    api.onRender(sync);
    return true;
  }
  if (!start()) document.addEventListener("DOMContentLoaded", start);
})();
