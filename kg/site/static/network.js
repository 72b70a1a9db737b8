// A network view of the site: vis-network draws the data of #net-data; every string
// from the data is written with textContent (labels and tooltips are never HTML).
// Search lists every match, the filters hide cases (and what only they connect) and
// update the counters, a click opens the node's page, and the language follows the site.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var data = JSON.parse(document.getElementById("net-data").textContent);
    var lang = window.kgSite.lang();
    var byId = {};
    data.nodes.forEach(function (n) { byId[n.id] = n; });
    function tr(t) { return (t && (t[lang] || t.zh)) || ""; }

    function tip(lines) {
      var div = document.createElement("div");
      div.className = "tip";
      lines.forEach(function (line) {
        var el = document.createElement(line.kind === "title" ? "b" : "p");
        if (line.kind === "quote") {
          var q = document.createElement("q");
          q.lang = "zh";
          q.textContent = line.zh;
          el.appendChild(q);
        } else {
          el.textContent = tr(line);
        }
        div.appendChild(el);
      });
      return div;
    }
    function nodeItem(n) {
      return { id: n.id, label: tr(n.label), title: tip(n.tip), shape: n.shape,
               color: n.color, value: n.value, x: n.px, y: n.py };
    }
    function edgeItem(edge, i) {
      var item = { id: i, from: edge.from, to: edge.to, title: tip(edge.tip),
                   color: { color: data.edgeColors[edge.type], highlight: "#222", opacity: 0.8 } };
      if (edge.value !== undefined) { item.value = edge.value; }
      return item;
    }
    // The layout comes in its own units; spread it over the canvas so that the fitted
    // zoom is about 1 and labels of 14 px stay 14 px on screen (at least 12 is the aim).
    var container = document.getElementById("network");
    var xs = data.nodes.map(function (n) { return n.x; });
    var ys = data.nodes.map(function (n) { return n.y; });
    var spanX = Math.max(1, Math.max.apply(null, xs) - Math.min.apply(null, xs));
    var spanY = Math.max(1, Math.max.apply(null, ys) - Math.min.apply(null, ys));
    var factor = Math.min((container.clientWidth - 140) / spanX,
                          (container.clientHeight - 60) / spanY);
    factor = Math.max(factor, 0.05);
    // Move nodes apart until no two label boxes overlap (or 120 rounds): the box of a
    // node is its shape with its label under it, in screen pixels at the fitted zoom.
    function textWidth(s) {
      var w = 0;
      for (var i = 0; i < s.length; i++) { w += s.charCodeAt(i) > 0x2e80 ? 14 : 7.5; }
      return w;
    }
    function spread() {
      var values = data.nodes.map(function (n) { return n.value || 1; });
      var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
      var boxes = data.nodes.map(function (n) {
        var r = hi > lo ? 7 + 23 * ((n.value || 1) - lo) / (hi - lo) : 12;
        return { n: n, x: n.x * factor, y: n.y * factor + 10, r: r,  // the label is below
                 w: Math.max(2 * r, textWidth(tr(n.label))) + 8, h: 2 * r + 20 };
      });
      for (var round = 0; round < 120; round++) {
        var moved = false;
        for (var i = 0; i < boxes.length; i++) {
          for (var j = i + 1; j < boxes.length; j++) {
            var a = boxes[i], b = boxes[j];
            var dx = b.x - a.x, dy = b.y - a.y;
            var ox = (a.w + b.w) / 2 - Math.abs(dx), oy = (a.h + b.h) / 2 - Math.abs(dy);
            if (ox <= 0 || oy <= 0) { continue; }
            moved = true;
            if (ox < oy) {
              var sx = (dx > 0 || (dx === 0 && i < j) ? 1 : -1) * (ox / 2 + 0.5);
              a.x -= sx; b.x += sx;
            } else {
              var sy = (dy > 0 || (dy === 0 && i < j) ? 1 : -1) * (oy / 2 + 0.5);
              a.y -= sy; b.y += sy;
            }
          }
        }
        if (!moved) { break; }
      }
      boxes.forEach(function (box) { box.n.px = box.x; box.n.py = box.y - 10; });
    }
    spread();
    var nodes = new vis.DataSet(data.nodes.map(nodeItem));
    var edges = new vis.DataSet(data.edges.map(edgeItem));
    var fontSize = 14;
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
      nodes: { scaling: { min: 7, max: 30, label: { enabled: false } },
               font: { size: fontSize, face: "Noto Sans CJK SC, sans-serif", strokeWidth: 3,
                       strokeColor: "#ffffff" } },
      edges: { smooth: false, scaling: { min: 1, max: 7 } },
      interaction: { hover: true, tooltipDelay: 100, keyboard: { enabled: true, bindToWindow: false },
                     navigationButtons: false },
      physics: false,
      layout: { randomSeed: 7 }
    });
    var state = { network: network, nodes: nodes, edges: edges, fontSize: fontSize };
    window.kgNet = state;

    function legible() {
      network.fit({ animation: false });
      state.scale = network.getScale();
      if (state.scale * state.fontSize < 12) {
        state.fontSize = Math.min(60, Math.ceil(12 / Math.max(state.scale, 0.05)));
        network.setOptions({ nodes: { font: { size: state.fontSize } } });
      }
      document.body.setAttribute("data-stable", "true");
    }
    network.once("afterDrawing", legible);
    window.addEventListener("resize", legible);
    network.on("click", function (params) {
      if (params.nodes.length === 1 && byId[params.nodes[0]]) {
        window.location.href = byId[params.nodes[0]].href;
      }
    });

    // legend: node kinds or families, and every edge type in the view
    var legend = document.getElementById("legend-list");
    function drawLegend() {
      while (legend.firstChild) { legend.removeChild(legend.firstChild); }
      data.legend.forEach(function (item) {
        var li = document.createElement("li");
        var sw = document.createElement("i");
        sw.className = item.edge ? "edge" : "node";
        sw.style.background = item.color;
        li.appendChild(sw);
        li.appendChild(document.createTextNode(tr(item.label)));
        legend.appendChild(li);
      });
    }
    if (window.matchMedia("(max-width: 760px)").matches) {
      document.getElementById("net-legend").open = false;
      document.getElementById("net-filters").open = false;
    }

    // filters: a case shows if it has one chosen value in every facet with a choice
    var form = document.getElementById("net-filter-form");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
    var caseIds = Object.keys(data.cases);
    function chosen() {
      var out = {};
      data.facets.forEach(function (f) { out[f.key] = []; });
      boxes.forEach(function (b) { if (b.checked) { out[b.name].push(b.value); } });
      return out;
    }
    function passes(c, sel, skip) {
      return data.facets.every(function (f) {
        if (f.key === skip || sel[f.key].length === 0) { return true; }
        return sel[f.key].some(function (v) { return data.cases[c][f.key].indexOf(v) >= 0; });
      });
    }
    var countLine = document.getElementById("net-count");
    function applyFilters() {
      var sel = chosen();
      var visible = {};
      caseIds.forEach(function (c) { if (passes(c, sel, null)) { visible[c] = true; } });
      var shownNodes = {};
      var nodeUpdates = data.nodes.map(function (n) {
        var show = n.cases.some(function (c) { return visible[c]; });
        if (show) { shownNodes[n.id] = true; }
        return { id: n.id, hidden: !show };
      });
      var shownEdges = 0;
      var edgeUpdates = data.edges.map(function (edge, i) {
        var show = shownNodes[edge.from] && shownNodes[edge.to] &&
          (!edge.cases || edge.cases.some(function (c) { return visible[c]; }));
        if (show) { shownEdges += 1; }
        return { id: i, hidden: !show };
      });
      nodes.update(nodeUpdates);
      edges.update(edgeUpdates);
      boxes.forEach(function (b) {
        var n = caseIds.filter(function (c) {
          return passes(c, sel, b.name) && data.cases[c][b.name].indexOf(b.value) >= 0;
        }).length;
        b.parentNode.querySelector(".count").textContent = String(n);
      });
      state.shown = { nodes: Object.keys(shownNodes).length, edges: shownEdges,
                      cases: Object.keys(visible).length };
      writeCount();
    }
    function writeCount() {
      var s = state.shown;
      countLine.textContent = lang === "en"
        ? s.nodes + " of " + data.nodes.length + " nodes, " + s.edges + " of " +
          data.edges.length + " edges, " + s.cases + " of " + caseIds.length + " cases"
        : "显示 " + s.nodes + " / " + data.nodes.length + " 个节点," + s.edges + " / " +
          data.edges.length + " 条连线," + s.cases + " / " + caseIds.length + " 个案例";
    }
    form.addEventListener("change", applyFilters);
    form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });

    // search: every match listed; none says so
    var search = document.getElementById("net-search");
    var matches = document.getElementById("net-matches");
    var status = document.getElementById("net-search-status");
    function runSearch() {
      var q = search.value.trim().toLowerCase();
      while (matches.firstChild) { matches.removeChild(matches.firstChild); }
      if (!q) { status.textContent = ""; network.unselectAll(); return; }
      var found = data.nodes.filter(function (n) { return n.search.indexOf(q) >= 0; });
      status.textContent = found.length === 0
        ? (lang === "en" ? "No node matches “" + search.value.trim() + "”."
                         : "没有与“" + search.value.trim() + "”匹配的节点。")
        : (lang === "en" ? found.length + " matches" : "共 " + found.length + " 个匹配");
      found.forEach(function (n) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = tr(n.label);
        button.addEventListener("click", function () {
          network.selectNodes([n.id]);
          network.focus(n.id, { scale: 1.2, animation: false });
        });
        li.appendChild(button);
        matches.appendChild(li);
      });
      network.selectNodes(found.map(function (n) { return n.id; }).filter(function (id) {
        return !nodes.get(id).hidden;
      }));
    }
    search.addEventListener("input", runSearch);

    document.addEventListener("kg-lang", function (ev) {
      lang = ev.detail;
      nodes.update(data.nodes.map(function (n) {
        return { id: n.id, label: tr(n.label), title: tip(n.tip) };
      }));
      edges.update(data.edges.map(function (edge, i) { return { id: i, title: tip(edge.tip) }; }));
      drawLegend();
      writeCount();
      runSearch();
    });
    drawLegend();
    applyFilters();
  });
})();
