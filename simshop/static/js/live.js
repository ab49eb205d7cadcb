// Refreshes the instructor's "who has submitted" table every 15 seconds.
(function () {
  "use strict";
  var REFRESH_MS = 15000;
  function refresh() {
    var box = document.getElementById("live-submissions");
    if (!box || document.hidden) { return; }
    fetch(box.getAttribute("data-live-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#live-submissions");
        if (fresh) { box.replaceWith(fresh); }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, REFRESH_MS);
})();
