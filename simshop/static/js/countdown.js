// Ticks every element with data-seconds-left down to zero, once a second.
// The server renders the starting value, so the page is right without this script.
(function () {
  "use strict";
  var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-seconds-left]"));
  if (!clocks.length) { return; }
  var started = Date.now();
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function render() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    clocks.forEach(function (el) {
      var left = Math.max(0, parseInt(el.getAttribute("data-seconds-left"), 10) - elapsed);
      if (left === 0) {
        el.textContent = el.getAttribute("data-expired-text") || "0";
        el.classList.add("countdown--expired");
        return;
      }
      var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
      var m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = d + "d " + pad(h) + ":" + pad(m) + ":" + pad(s);
    });
  }
  render();
  window.setInterval(render, 1000);
})();
