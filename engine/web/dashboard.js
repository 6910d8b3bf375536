// The operator dashboard works without this script; with it, the parts marked data-refresh are fetched
// again every 10 seconds from the same page (same origin, same cookie) and swapped in place.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-refresh-url");
  if (!url) { return; }
  function refresh() {
    if (document.hidden) { return Promise.resolve(); }
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (answer) {
      if (!answer.ok || answer.redirected) { return null; }
      return answer.text();
    }).then(function (text) {
      if (!text) { return; }
      var fresh = new DOMParser().parseFromString(text, "text/html");
      document.querySelectorAll("[data-refresh][id]").forEach(function (part) {
        var other = fresh.getElementById(part.id);
        if (other && !part.contains(document.activeElement)) { part.replaceWith(document.importNode(other, true)); }
      });
    }).catch(function () { /* the next tick tries again */ });
  }
  window.passerelleRefresh = refresh;  // what the timer calls (tests call it too)
  window.setInterval(refresh, 10000);
}());
