// The case list: filter the rows by facet and by words (Chinese or English), list every
// match, and keep each facet value's count to the cases it would leave.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("facets");
    var search = document.getElementById("search");
    var rows = Array.prototype.slice.call(document.querySelectorAll("#case-table tbody tr"));
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
    var facets = [];
    boxes.forEach(function (b) { if (facets.indexOf(b.name) < 0) { facets.push(b.name); } });
    var values = rows.map(function (r) {
      var v = {};
      facets.forEach(function (f) { v[f] = (r.getAttribute("data-" + f) || "").split(" "); });
      v.search = r.getAttribute("data-search") || "";
      return v;
    });
    var countLine = document.getElementById("match-count");
    var noMatch = document.getElementById("no-match");
    var total = rows.length;

    function chosen() {
      var out = {};
      facets.forEach(function (f) { out[f] = []; });
      boxes.forEach(function (b) { if (b.checked) { out[b.name].push(b.value); } });
      return out;
    }
    function passes(v, sel, terms, skip) {
      for (var i = 0; i < terms.length; i++) {
        if (v.search.indexOf(terms[i]) < 0) { return false; }
      }
      for (var j = 0; j < facets.length; j++) {
        var f = facets[j];
        if (f === skip || sel[f].length === 0) { continue; }
        var hit = false;
        for (var k = 0; k < sel[f].length; k++) {
          if (v[f].indexOf(sel[f][k]) >= 0) { hit = true; break; }
        }
        if (!hit) { return false; }
      }
      return true;
    }
    function update() {
      var sel = chosen();
      var terms = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      values.forEach(function (v, i) {
        var ok = passes(v, sel, terms, null);
        if (rows[i].hidden === ok) { rows[i].hidden = !ok; }  // touch only what changes
        if (ok) { shown += 1; }
      });
      var counts = {};
      facets.forEach(function (f) {
        counts[f] = {};
        values.forEach(function (v) {
          if (!passes(v, sel, terms, f)) { return; }
          v[f].forEach(function (t) { counts[f][t] = (counts[f][t] || 0) + 1; });
        });
      });
      boxes.forEach(function (b) {
        var n = counts[b.name][b.value] || 0;
        b.parentNode.querySelector(".count").textContent = String(n);
        b.parentNode.classList.toggle("empty", n === 0);
      });
      countLine.querySelector(".zh").textContent = shown === total
        ? "共 " + total + " 个案例" : "显示 " + shown + " / " + total + " 个案例";
      countLine.querySelector(".en").textContent = shown === total
        ? total + " cases" : shown + " of " + total + " cases";
      noMatch.hidden = shown !== 0;
      document.body.setAttribute("data-shown", String(shown));
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(update, 0); });
    update();
    document.body.setAttribute("data-stable", "true");
  });
})();
