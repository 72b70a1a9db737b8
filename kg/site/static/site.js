// Every page: the reader's language (kept in localStorage, so it holds across pages),
// and in the evidence reader the marks of the quote named in the address (#q-...).
(function () {
  "use strict";
  var KEY = "renda-kg-lang";
  var lang = "zh";
  try { lang = localStorage.getItem(KEY) === "en" ? "en" : "zh"; } catch (err) { /* storage off */ }
  var root = document.documentElement;

  function apply() {
    root.classList.toggle("lang-en", lang === "en");
    root.classList.toggle("lang-zh", lang !== "en");
    root.lang = lang === "en" ? "en" : "zh";
  }
  apply();

  window.kgSite = {
    lang: function () { return lang; },
    setLang: function (value) {
      lang = value === "en" ? "en" : "zh";
      try { localStorage.setItem(KEY, lang); } catch (err) { /* storage off */ }
      apply();
      document.dispatchEvent(new CustomEvent("kg-lang", { detail: lang }));
    }
  };

  function markCurrent() {
    var old = document.querySelectorAll("mark.current");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("current"); }
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("q-") !== 0) { return; }
    var marks = document.querySelectorAll("#source-text mark");
    var ev = id.slice(2);
    for (var j = 0; j < marks.length; j++) {
      if ((" " + marks[j].getAttribute("data-ev") + " ").indexOf(" " + ev + " ") >= 0) {
        marks[j].classList.add("current");
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("lang-toggle");
    if (button) {
      button.addEventListener("click", function () {
        window.kgSite.setLang(lang === "en" ? "zh" : "en");
      });
    }
    markCurrent();
    window.addEventListener("hashchange", markCurrent);
    if (!document.querySelector("#net-data, #map-data, #case-table")) {
      document.body.setAttribute("data-stable", "true");  // the page scripts say it themselves
    }
  });
})();
