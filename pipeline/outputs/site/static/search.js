// Offline search over the index shipped beside this page (search-index.js); no network, works from file://.
(function () {
  "use strict";
  var index = window.CYBERDIALOGUE_SEARCH || [];
  var input = document.getElementById("q");
  var results = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var folded = index.map(function (entry) { return fold(entry.t + " " + (entry.v || "")); });
  function show(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    results.textContent = "";
    if (!words.length) { status.textContent = "Type a session title or a person's name."; return; }
    var found = [];
    for (var i = 0; i < index.length && found.length < 200; i++) {
      if (words.every(function (w) { return folded[i].indexOf(w) !== -1; })) { found.push(index[i]); }
    }
    status.textContent = found.length + (found.length === 200 ? "+" : "") + " result" + (found.length === 1 ? "" : "s") + " for “" + query + "”";
    found.forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = entry.u;
      link.textContent = entry.t;
      item.appendChild(link);
      var kind = document.createElement("small");
      kind.textContent = " " + (entry.k === "p" ? "person" : "session") + (entry.d ? " · " + entry.d : "");
      item.appendChild(kind);
      results.appendChild(item);
    });
  }
  var query = new URLSearchParams(window.location.search).get("q") || "";
  input.value = query;
  input.addEventListener("input", function () { show(input.value); });
  show(query);
})();
