// The map: recolour the counties by the number of cases, or of cases using a mechanism.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var data = JSON.parse(document.getElementById("map-data").textContent);
    var select = document.getElementById("colour-by");
    var paths = document.querySelectorAll("#map .counties path");
    var legend = document.getElementById("map-legend");

    function bucket(n, high) {
      if (n <= 0 || high <= 0) { return 0; }
      if (high === 1) { return 5; }
      return Math.min(5, 1 + Math.floor(4 * (n - 1) / (high - 1) + 0.5));
    }
    function recolour() {
      var counts = select.value ? data.mechanisms[select.value] || {} : data.total;
      var high = 0;
      Object.keys(counts).forEach(function (k) { high = Math.max(high, counts[k]); });
      for (var i = 0; i < paths.length; i++) {
        var n = counts[paths[i].getAttribute("data-code")] || 0;
        paths[i].setAttribute("fill", data.fills[bucket(n, high)]);
        paths[i].querySelector("title").textContent =
          paths[i].querySelector("title").textContent.replace(/: \d+$/, ": " + n);
      }
      var groups = {};
      for (var n = 1; n <= high; n++) { (groups[bucket(n, high)] = groups[bucket(n, high)] || []).push(n); }
      while (legend.firstChild) { legend.removeChild(legend.firstChild); }
      var items = [[data.fills[0], "0"]];
      Object.keys(groups).sort().forEach(function (b) {
        var ns = groups[b];
        items.push([data.fills[b], ns.length === 1 ? String(ns[0]) : ns[0] + "–" + ns[ns.length - 1]]);
      });
      items.forEach(function (item) {
        var li = document.createElement("li");
        var sw = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        sw.setAttribute("width", "14"); sw.setAttribute("height", "14");
        var rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        rect.setAttribute("width", "14"); rect.setAttribute("height", "14");
        rect.setAttribute("fill", item[0]);
        sw.appendChild(rect);
        li.appendChild(sw);
        li.appendChild(document.createTextNode(item[1]));
        legend.appendChild(li);
      });
    }
    select.addEventListener("change", recolour);
    document.body.setAttribute("data-stable", "true");
  });
})();
