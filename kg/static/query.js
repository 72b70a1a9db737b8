// The query page of `kg serve`. It talks only to the server it came from (relative
// URLs, CSP connect-src 'self'), and every string from the server or the data is put in
// the page with textContent: nothing is ever parsed as HTML.
(function () {
  "use strict";

  var TEXT = {
    zh: {
      rows: "行", ms: "毫秒", truncated: "结果已截断(超过服务器的行数上限)",
      running: "运行中…", "true": "是 (true)", "false": "否 (false)",
      loadFailed: "无法读取命名查询列表", network: "无法连接服务器",
      graph: "三元组结果", hint: "提示", line: "行"
    },
    en: {
      rows: "rows", ms: "ms", truncated: "results truncated (over the server's row limit)",
      running: "running…", "true": "true", "false": "false",
      loadFailed: "cannot read the named queries", network: "cannot reach the server",
      graph: "graph result", hint: "hint", line: "line"
    }
  };
  var lang = "zh";
  var named = {};
  var selected = null;
  var last = null; // what was last run, for the download links

  var $ = function (id) { return document.getElementById(id); };
  var editor = $("query");

  function t(key) { return TEXT[lang][key]; }

  function setLang(value) {
    lang = value === "en" ? "en" : "zh";
    document.documentElement.lang = lang;
    var items = document.querySelectorAll("[data-zh][data-en]");
    for (var i = 0; i < items.length; i++) {
      items[i].textContent = items[i].getAttribute("data-" + lang);
    }
    if (last && last.status) { $("status").textContent = last.status(); }
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function showError(doc) {
    var box = $("error");
    var text = doc.error || String(doc);
    if (doc.status) { text = doc.status + " · " + text; }
    if (doc.hint) { text += "\n" + t("hint") + ": " + doc.hint; }
    box.textContent = text;
    box.hidden = false;
  }

  function fillParams(q) {
    var box = $("params");
    clear(box);
    (q ? q.params : []).forEach(function (p) {
      var label = el("label");
      label.title = p.doc;
      label.appendChild(el("span", p.name));
      var input = el("input");
      input.name = p.name;
      input.value = p.default === null ? "" : p.default;
      input.placeholder = p.doc;
      input.size = 24;
      label.appendChild(input);
      box.appendChild(label);
    });
  }

  function loadQueries() {
    fetch("queries", { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (list) {
        var select = $("examples");
        list.forEach(function (q) {
          named[q.name] = q;
          var option = el("option", q.title + " (" + q.name + ")");
          option.value = q.name;
          select.appendChild(option);
        });
        document.body.setAttribute("data-ready", "true");
      })
      .catch(function () {
        showError({ error: t("loadFailed") });
        document.body.setAttribute("data-ready", "true");
      });
  }

  function pick() {
    var q = named[$("examples").value] || null;
    selected = q;
    fillParams(q);
    $("example-description").textContent = q ? q.description : "";
    if (q) { editor.value = q.text; }
  }

  function paramString() {
    var parts = [];
    var inputs = $("params").querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].value !== "") {
        parts.push(encodeURIComponent(inputs[i].name) + "=" + encodeURIComponent(inputs[i].value));
      }
    }
    return parts.join("&");
  }

  // A run: a named query as written in the library goes to /queries/NAME with its
  // parameters; anything else is POSTed to /sparql.
  function request() {
    if (selected && editor.value === selected.text) {
      var params = paramString();
      var base = "queries/" + encodeURIComponent(selected.name) + "?" + params;
      return {
        url: base, init: { headers: { Accept: "application/sparql-results+json, text/turtle;q=0.9" } },
        link: function (fmt) { return base + (params ? "&" : "") + "format=" + fmt; },
        name: selected.name
      };
    }
    var text = editor.value;
    return {
      url: "sparql",
      init: {
        method: "POST",
        headers: {
          "Content-Type": "application/sparql-query",
          Accept: "application/sparql-results+json, text/turtle;q=0.9"
        },
        body: text
      },
      link: function (fmt) { return "sparql?query=" + encodeURIComponent(text) + "&format=" + fmt; },
      name: "query"
    };
  }

  function downloads(req, kinds) {
    var box = $("downloads");
    while (box.children.length > 1) { box.removeChild(box.lastChild); }
    kinds.forEach(function (k) {
      var a = el("a", k[0]);
      a.href = req.link(k[1]);
      a.setAttribute("download", req.name + "." + k[2]);
      box.appendChild(a);
    });
    box.hidden = false;
  }

  function cell(term) {
    var td = el("td");
    if (!term) { return td; }
    td.textContent = term.type === "bnode" ? "_:" + term.value : term.value;
    if (term.type === "uri") { td.className = "uri"; }
    if (term["xml:lang"]) { td.appendChild(el("span", "@" + term["xml:lang"], "tag")); }
    return td;
  }

  function table(doc) {
    var vars = doc.head.vars || [];
    var tableEl = el("table");
    tableEl.id = "result-table";
    var head = el("thead");
    var tr = el("tr");
    vars.forEach(function (v) { tr.appendChild(el("th", v)); });
    head.appendChild(tr);
    tableEl.appendChild(head);
    var body = el("tbody");
    doc.results.bindings.forEach(function (b) {
      var row = el("tr");
      vars.forEach(function (v) { row.appendChild(cell(b[v])); });
      body.appendChild(row);
    });
    tableEl.appendChild(body);
    return tableEl;
  }

  function run() {
    var req = request();
    var started = performance.now();
    $("error").hidden = true;
    $("downloads").hidden = true;
    clear($("results"));
    $("status").textContent = t("running");
    document.body.setAttribute("data-state", "running");
    fetch(req.url, req.init)
      .then(function (response) {
        var kind = (response.headers.get("Content-Type") || "").split(";")[0];
        var truncated = response.headers.get("X-Truncated") === "true";
        var reader = kind.indexOf("json") >= 0 ? response.json() : response.text();
        return reader.then(function (data) {
          return { ok: response.ok, kind: kind, data: data, truncated: truncated };
        });
      })
      .then(function (r) {
        var ms = Math.round(performance.now() - started);
        if (!r.ok) {
          last = null;
          $("status").textContent = "";
          showError(typeof r.data === "object" ? r.data : { error: r.data });
          return;
        }
        var results = $("results");
        var count;
        if (r.kind === "application/sparql-results+json" && "boolean" in r.data) {
          results.appendChild(el("p", t(String(r.data.boolean)), "boolean"));
          count = null;
        } else if (r.kind === "application/sparql-results+json") {
          results.appendChild(table(r.data));
          count = r.data.results.bindings.length;
          downloads(req, [["CSV", "csv", "csv"], ["TSV", "tsv", "tsv"], ["JSON", "json", "json"]]);
        } else {
          var pre = el("pre", typeof r.data === "string" ? r.data : JSON.stringify(r.data, null, 1), "graph");
          results.appendChild(pre);
          count = null;
          downloads(req, [["Turtle", "ttl", "ttl"], ["N-Triples", "nt", "nt"], ["JSON-LD", "jsonld", "jsonld"]]);
        }
        last = {
          status: function () {
            var parts = [];
            if (count !== null) { parts.push(count + " " + t("rows")); }
            else if (r.kind !== "application/sparql-results+json") { parts.push(t("graph")); }
            parts.push(ms + " " + t("ms"));
            if (r.truncated) { parts.push(t("truncated")); }
            return parts.join(" · ");
          }
        };
        $("status").textContent = last.status();
      })
      .catch(function () {
        $("status").textContent = "";
        showError({ error: t("network") });
      })
      .then(function () { document.body.setAttribute("data-state", "done"); });
  }

  $("endpoint").textContent = new URL("sparql", document.baseURI).href;
  $("lang").addEventListener("change", function (e) { setLang(e.target.value); });
  $("examples").addEventListener("change", pick);
  $("run").addEventListener("click", run);
  editor.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  });
  setLang($("lang").value);
  loadQueries();
}());
