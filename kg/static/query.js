// The query page of `kg serve`: the vendored YASGUI (static/yasgui.js, see
// YASGUI-PROVENANCE.md) set up to reach only the server it came from, plus the named
// query library with labelled parameter fields, a permalink in the URL, and download
// links for the current result. Every string from the server or the data is put in the
// page with textContent (YASGUI's table escapes its cells itself).
(function () {
  "use strict";

  var TEXT = {
    zh: {
      rows: "行", ms: "毫秒", truncated: "结果已截断(超过服务器的行数上限)",
      running: "运行中…", loadFailed: "无法读取命名查询列表", network: "无法连接服务器",
      hint: "提示", line: "行", graph: "图结果"
    },
    en: {
      rows: "rows", ms: "ms", truncated: "results truncated (over the server's row limit)",
      running: "running…", loadFailed: "cannot read the named queries",
      network: "cannot reach the server", hint: "hint", line: "line", graph: "graph result"
    }
  };
  var DEFAULT_QUERY = [
    "PREFIX rkg: <https://w3id.org/renda-kg/ontology#>",
    "PREFIX dcterms: <http://purl.org/dc/terms/>",
    "SELECT ?case ?title WHERE {",
    "  ?case a rkg:InnovationCase ;",
    "        dcterms:title ?title .",
    "  FILTER(lang(?title) = \"zh\")",
    "}",
    "ORDER BY ?case",
    "LIMIT 20"
  ].join("\n");
  var SELECT_ACCEPT = "application/sparql-results+json,*/*;q=0.9";
  var GRAPH_ACCEPT = "text/turtle,*/*;q=0.9";

  var lang = "zh";
  var named = {};
  var selected = null;
  var prefixes = {};
  var lastStatus = null;
  var $ = function (id) { return document.getElementById(id); };
  var endpoint = new URL("sparql", document.baseURI).href;
  var yasgui = null;

  function t(key) { return TEXT[lang][key]; }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function title(q) { return lang === "zh" ? (q.title_zh || q.title) : q.title; }

  function setLang(value) {
    lang = value === "en" ? "en" : "zh";
    document.documentElement.lang = lang;
    var items = document.querySelectorAll("[data-zh][data-en]");
    for (var i = 0; i < items.length; i++) {
      items[i].textContent = items[i].getAttribute("data-" + lang);
    }
    var options = $("examples").options;
    for (var j = 0; j < options.length; j++) {
      var q = named[options[j].value];
      if (q) { options[j].textContent = title(q) + " (" + q.name + ")"; }
    }
    if (lastStatus) { $("status").textContent = lastStatus(); }
  }

  // -- status, errors and the download row: shown only for a result, emptied on failure --

  function resetResult() {
    lastStatus = null;
    $("status").textContent = "";
    $("error").hidden = true;
    $("error").textContent = "";
    var box = $("downloads");
    while (box.children.length > 1) { box.removeChild(box.lastChild); }
    box.hidden = true;
  }

  function showError(doc) {
    var text = doc.error || String(doc);
    if (doc.status) { text = doc.status + " · " + text; }
    if (doc.line) { text += " (" + t("line") + " " + doc.line + ")"; }
    if (doc.hint) { text += "\n" + t("hint") + ": " + doc.hint; }
    $("error").textContent = text;
    $("error").hidden = false;
    document.body.setAttribute("data-result", "error");
  }

  function showDownloads(link, name, graph) {
    var kinds = graph
      ? [["Turtle", "ttl"], ["N-Triples", "nt"], ["JSON-LD", "jsonld"]]
      : [["CSV", "csv"], ["TSV", "tsv"], ["JSON", "json"]];
    var box = $("downloads");
    kinds.forEach(function (k) {
      var a = el("a", k[0]);
      a.href = link(k[1]);
      a.setAttribute("download", name + "." + k[1]);
      box.appendChild(a);
    });
    box.hidden = false;
  }

  function showStatus(count, ms, truncated) {
    lastStatus = function () {
      var parts = [count === null ? t("graph") : count + " " + t("rows"), ms + " " + t("ms")];
      if (truncated) { parts.push(t("truncated")); }
      return parts.join(" · ");
    };
    $("status").textContent = lastStatus();
    document.body.setAttribute("data-result", "ok");
  }

  // -- the permalink: the query (or the named query and its parameters) in the URL --

  function setPermalink(params) {
    var search = new URLSearchParams(params).toString();
    history.replaceState(null, "", search ? "?" + search : location.pathname);
  }

  function isGraphQuery(text) {
    var body = text.replace(/^\s*(#[^\n]*\n|PREFIX[^\n]*\n|BASE[^\n]*\n|\s+)*/i, "");
    return /^(CONSTRUCT|DESCRIBE)\b/i.test(body);
  }

  // -- named queries --

  function fillParams(q) {
    var box = $("params");
    clear(box);
    $("named-actions").hidden = !(q && q.params.length);
    (q ? q.params : []).forEach(function (p) {
      var label = el("label");
      label.appendChild(el("span", p.name));
      var input = el("input");
      input.name = p.name;
      input.value = p.default === null ? "" : p.default;
      input.size = 28;
      label.appendChild(input);
      label.appendChild(el("span", p.doc, "doc"));
      box.appendChild(label);
    });
  }

  function paramValues() {
    var out = [];
    var inputs = $("params").querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].value !== "") { out.push([inputs[i].name, inputs[i].value]); }
    }
    return out;
  }

  function pick(name, values) {
    var q = named[name] || null;
    selected = q;
    $("examples").value = q ? q.name : "";
    fillParams(q);
    $("example-description").textContent = q ? q.description : "";
    if (q && values) {
      var inputs = $("params").querySelectorAll("input");
      for (var i = 0; i < inputs.length; i++) {
        if (values.has(inputs[i].name)) { inputs[i].value = values.get(inputs[i].name); }
      }
    }
    if (q) { yasgui.getTab().setQuery(q.text); }
    return q;
  }

  // A named query with parameters runs at /queries/NAME, where the server resolves ids
  // and labels; its answer is handed to YASGUI's result view.
  function runNamed() {
    if (!selected) { return; }
    var q = selected;
    var values = paramValues();
    var search = new URLSearchParams(values).toString();
    var url = "queries/" + encodeURIComponent(q.name) + (search ? "?" + search : "");
    var started = performance.now();
    var graph = isGraphQuery(q.text);
    resetResult();
    $("status").textContent = t("running");
    document.body.setAttribute("data-result", "running");
    setPermalink([["name", q.name]].concat(values));
    fetch(url, { headers: { Accept: graph ? GRAPH_ACCEPT : SELECT_ACCEPT } })
      .then(function (response) {
        return response.text().then(function (body) { return { response: response, body: body }; });
      })
      .then(function (r) {
        var ms = Math.round(performance.now() - started);
        var kind = r.response.headers.get("Content-Type") || "";
        compactTable(yasgui.getTab());
        var yasr = yasgui.getTab().getYasr();
        if (!r.response.ok) {
          $("status").textContent = "";
          var doc;
          try { doc = JSON.parse(r.body); } catch (e) { doc = { error: r.body, status: r.response.status }; }
          yasr.setResponse({ error: { text: doc.error, status: r.response.status } });
          showError(doc);
          return;
        }
        yasr.setResponse({ data: r.body, contentType: kind, status: 200, executionTime: ms });
        var count = null;
        if (kind.indexOf("sparql-results+json") >= 0) {
          var doc2 = JSON.parse(r.body);
          count = doc2.results ? doc2.results.bindings.length : null;
        }
        showStatus(count, ms, r.response.headers.get("X-Truncated") === "true");
        showDownloads(function (fmt) {
          return url + (search ? "&" : "?") + "format=" + fmt;
        }, q.name, graph);
      })
      .catch(function () { showError({ error: t("network") }); });
  }

  function loadQueries() {
    return fetch("queries", { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (list) {
        list.forEach(function (q) {
          named[q.name] = q;
          var option = el("option", title(q) + " (" + q.name + ")");
          option.value = q.name;
          $("examples").appendChild(option);
        });
      })
      .catch(function () { showError({ error: t("loadFailed") }); });
  }

  function loadPrefixes() {
    return fetch("static/context.jsonld")
      .then(function (r) { return r.json(); })
      .then(function (doc) { prefixes = doc["@context"] || {}; })
      .catch(function () { prefixes = {}; });
  }

  // -- YASGUI, reaching nothing but this server --

  function setUpYasgui() {
    var Yasqe = Yasgui.Yasqe;
    Yasqe.forkAutocompleter("prefixes", {
      name: "local-prefixes",
      persistenceId: null,
      get: function () {
        return Promise.resolve(Object.keys(prefixes).sort().map(function (p) {
          return p + ": <" + prefixes[p] + ">";
        }));
      }
    }, false);
    [Yasqe.defaults, Yasgui.defaults.yasqe].forEach(function (conf) {
      if (conf && conf.autocompleters) {  // no prefix.cc, no Linked Open Vocabularies
        conf.autocompleters.splice(0, conf.autocompleters.length, "variables", "local-prefixes");
      }
    });
    yasgui = new Yasgui($("yasgui"), {
      requestConfig: {
        endpoint: endpoint,
        method: "POST",
        acceptHeaderSelect: SELECT_ACCEPT,
        acceptHeaderGraph: GRAPH_ACCEPT
      },
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      copyEndpointOnNewTab: true,
      persistenceId: null,
      populateFromUrl: false,
      autofocus: false,
      yasqe: { value: DEFAULT_QUERY },
      // result IRIs shown as prefixed names with the project's prefixes (and the query's)
      yasr: { prefixes: function () { return prefixes; } }
    });
    compactTable(yasgui.getTab());
    yasgui.on("queryBefore", function (instance, tab) {
      compactTable(tab);
      resetResult();
      selected = null;
      $("examples").value = "";
      fillParams(null);
      $("example-description").textContent = "";
      $("status").textContent = t("running");
      document.body.setAttribute("data-result", "running");
      setPermalink([["query", tab.getQuery()]]);
    });
    yasgui.on("queryResponse", function (instance, tab) {
      // YASGUI announces the response before it hands it to the result view
      setTimeout(function () { afterResponse(tab); }, 0);
    });
  }

  // YASR's "simple view": values without their datatype and language tag, so that a
  // column of numbers is recognised as numbers and sorts as such (the switch above the
  // table shows them again). Only the first time: the user's choice stays.
  function compactTable(tab) {
    var yasr = tab && tab.getYasr();
    var table = yasr && yasr.config.plugins.table;
    if (table && !table.dynamicConfig) { yasr.storePluginConfig("table", { compact: true }); }
  }

  function afterResponse(tab) {
    {
      var yasr = tab.getYasr();
      var results = yasr.results;
      var text = tab.getQuery();
      $("status").textContent = "";
      if (!results || results.hasError()) {
        var error = results ? results.getError() : { text: t("network") };
        showError({ error: error.text || error.statusText || "", status: error.status });
        return;
      }
      var bindings = results.getBindings();
      showStatus(bindings ? bindings.length : null, results.getResponseTime() || 0, false);
      showDownloads(function (fmt) {
        return "sparql?query=" + encodeURIComponent(text) + "&format=" + fmt;
      }, "query", isGraphQuery(text));
    }
  }

  function start() {
    $("endpoint").textContent = endpoint;
    $("lang").addEventListener("change", function (e) { setLang(e.target.value); });
    $("examples").addEventListener("change", function () {
      resetResult();
      var q = pick($("examples").value);
      if (q && !q.params.length) { runNamed(); }
    });
    $("run-named").addEventListener("click", runNamed);
    setUpYasgui();
    setLang($("lang").value);
    Promise.all([loadQueries(), loadPrefixes()]).then(function () {
      setLang(lang);
      var url = new URLSearchParams(location.search);
      if (url.has("name") && named[url.get("name")]) {
        pick(url.get("name"), url);
        runNamed();
      } else if (url.has("query")) {
        yasgui.getTab().setQuery(url.get("query"));
        yasgui.getTab().query();
      }
      document.body.setAttribute("data-ready", "true");
    });
  }

  start();
}());
