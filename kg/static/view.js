// Draws one view. Every string from the data goes through textContent or vis-network's
// plain-text paths: nothing from the data is ever parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var lang = "zh";

  function tip(text) {
    var div = document.createElement("div");
    div.className = "tip";
    div.textContent = text;
    return div;
  }
  function nodeItem(n) {
    var item = {
      id: n.id, label: n["label_" + lang], title: tip(n["title_" + lang]),
      shape: n.shape, color: n.color, value: n.value, hidden: false
    };
    if (n.x !== undefined) { item.x = n.x; item.y = n.y; }
    if (n.level !== undefined) { item.level = n.level; }
    return item;
  }
  function edgeItem(e, i) {
    var item = { id: i, from: e.from, to: e.to, title: tip(e["title_" + lang] || "") };
    if (e.value !== undefined) { item.value = e.value; }
    if (e.label_zh !== undefined) { item.label = e["label_" + lang]; }
    return item;
  }

  var nodes = new vis.DataSet(data.nodes.map(nodeItem));
  var edges = new vis.DataSet(data.edges.map(edgeItem));
  var options = {
    nodes: { scaling: { min: 8, max: 40, label: { enabled: true, min: 11, max: 22 } },
             font: { face: "Noto Sans CJK SC, sans-serif" } },
    edges: { color: { color: "#bbbbbb", highlight: "#555555" }, smooth: false,
             scaling: { min: 1, max: 8 }, font: { size: 10, align: "middle" } },
    interaction: { hover: true, tooltipDelay: 120 },
    physics: data.physics ? { solver: "forceAtlas2Based", stabilization: { iterations: 250 } }
                          : false,
    layout: data.hierarchical
      ? { hierarchical: { direction: "UD", sortMethod: "directed", levelSeparation: 120,
                          nodeSpacing: 110 } }
      : { randomSeed: 7 }
  };
  var network = new vis.Network(document.getElementById("network"),
                                { nodes: nodes, edges: edges }, options);
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: false });  // settle once, then stay still
    document.body.setAttribute("data-stable", "true");
  });
  if (!data.physics) { document.body.setAttribute("data-stable", "true"); }
  window.kgView = { network: network, nodes: nodes, edges: edges, data: data };

  var hiddenGroups = {};
  function applyLanguage() {
    nodes.update(data.nodes.map(function (n) {
      return { id: n.id, label: n["label_" + lang], title: tip(n["title_" + lang]) };
    }));
    edges.update(data.edges.map(function (e, i) {
      var item = { id: i, title: tip(e["title_" + lang] || "") };
      if (e.label_zh !== undefined) { item.label = e["label_" + lang]; }
      return item;
    }));
    document.getElementById("heading").textContent = data["title_" + lang];
    document.title = data["title_" + lang];
    document.getElementById("description").textContent = data["description_" + lang];
    document.getElementById("note").textContent = data["note_" + lang];
    document.documentElement.lang = lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-zh]"), function (el) {
      el.textContent = el.getAttribute("data-" + lang);
    });
    fillLegend();
    fillNames();
  }
  function fillLegend() {
    var box = document.getElementById("legend");
    var filters = document.getElementById("filters");
    box.textContent = "";
    filters.textContent = "";
    data.legend.forEach(function (g) {
      var row = document.createElement("div");
      var swatch = document.createElement("i");
      swatch.style.background = g.color;
      var name = document.createElement("span");
      name.textContent = g[lang];
      row.appendChild(swatch);
      row.appendChild(name);
      box.appendChild(row);
      var label = document.createElement("label");
      var check = document.createElement("input");
      check.type = "checkbox";
      check.checked = !hiddenGroups[g.group];
      check.addEventListener("change", function () {
        hiddenGroups[g.group] = !check.checked;
        nodes.update(data.nodes.filter(function (n) { return n.group === g.group; })
          .map(function (n) { return { id: n.id, hidden: !check.checked }; }));
        updateCounts();
      });
      var text = document.createElement("span");
      text.textContent = g[lang];
      label.appendChild(check);
      label.appendChild(text);
      filters.appendChild(label);
    });
  }
  function fillNames() {
    var list = document.getElementById("node-names");
    list.textContent = "";
    data.nodes.forEach(function (n) {
      var option = document.createElement("option");
      option.value = n["label_" + lang];
      list.appendChild(option);
    });
  }
  function updateCounts() {
    var shown = nodes.get({ filter: function (n) { return !n.hidden; } }).length;
    var el = document.getElementById("counts");
    el.textContent = (lang === "zh" ? "节点 " : "nodes ") + shown + " / " + data.nodes.length +
      (lang === "zh" ? " · 连线 " : " · edges ") + data.edges.length;
  }
  document.getElementById("lang").addEventListener("change", function (ev) {
    lang = ev.target.value;
    applyLanguage();
    updateCounts();
  });
  function search(wanted) {
    wanted = wanted.trim();
    if (!wanted) { return; }
    var exact = data.nodes.filter(function (n) {
      return n.label_zh === wanted || n.label_en === wanted || n.id === wanted;
    });
    var hit = exact[0] || data.nodes.filter(function (n) {  // else a part of a label or title
      return [n.label_zh, n.label_en, n.title_zh, n.title_en, n.id].some(function (t) {
        return typeof t === "string" && t.indexOf(wanted) >= 0;
      });
    })[0];
    if (hit) {
      network.selectNodes([hit.id]);
      network.focus(hit.id, { scale: 1.2, animation: false });
    }
  }
  var box = document.getElementById("search");
  box.addEventListener("change", function () { search(box.value); });
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { search(box.value); }
  });
  applyLanguage();
  updateCounts();
})();
