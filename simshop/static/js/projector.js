// The classroom projector: polls the state URL and redraws the page in place.
//
// - Polls every data-poll-ms milliseconds with If-None-Match; the server answers 304 while
//   nothing changed, so an idle classroom costs a few hundred bytes per poll.
// - The countdown runs on the client from the round's deadline, corrected by the server's
//   clock (the Date header), so the state does not change every second.
// - When the order changes, rows slide to their new places (FLIP with the Web Animations
//   API; no inline styles, which the Content-Security-Policy forbids in markup).
// - Text only ever goes in through textContent: team names are user input.
(function () {
  "use strict";
  var root = document.querySelector("[data-projector]");
  if (!root) { return; }
  var url = root.getAttribute("data-state-url");
  var pollMs = parseInt(root.getAttribute("data-poll-ms"), 10) || 5000;
  var etag = root.getAttribute("data-etag") || null;
  var clockOffset = 0; // server time - client time, ms
  var lastPublished = "";
  var failures = 0;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function text(name) { return root.getAttribute("data-text-" + name) || ""; }
  function setText(el, value) { if (el && el.textContent !== value) { el.textContent = value; } }

  // ---- countdown ------------------------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function renderCountdown() {
    var box = field("countdown");
    if (!box || box.classList.contains("pj-hidden")) { return; }
    var deadline = box.getAttribute("data-deadline");
    if (!deadline) { setText(box, text("no-deadline")); box.classList.add("pj-countdown--none"); return; }
    box.classList.remove("pj-countdown--none");
    var left = Math.floor((Date.parse(deadline) - (Date.now() + clockOffset)) / 1000);
    if (left <= 0) {
      setText(box, text("time-up"));
      box.classList.add("pj-countdown--over");
      return;
    }
    box.classList.remove("pj-countdown--over");
    box.classList.toggle("pj-countdown--soon", left < 300);
    var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
    var m = Math.floor((left % 3600) / 60), s = left % 60;
    setText(box, (d ? d + text("days") + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s));
  }

  // ---- standings with FLIP ----------------------------------------------------------
  function changeClass(change) {
    if (change === null || change === undefined) { return "new"; }
    return change > 0 ? "up" : (change < 0 ? "down" : "same");
  }
  function makeRow(row) {
    var li = document.createElement("li");
    li.className = "pj-row";
    li.setAttribute("data-team-id", String(row.team_id));
    ["pj-rank", "pj-change", "pj-name", "pj-score"].forEach(function (cls) {
      var span = document.createElement("span");
      span.className = cls;
      li.appendChild(span);
    });
    return li;
  }
  function fillRow(li, row) {
    setText(li.querySelector(".pj-rank"), String(row.rank));
    var change = li.querySelector(".pj-change");
    change.className = "pj-change pj-change--" + changeClass(row.change);
    setText(change, row.change_text);
    setText(li.querySelector(".pj-name"), row.name);
    setText(li.querySelector(".pj-score"), row.score_text);
  }
  function renderStandings(rows, animate) {
    var list = field("standings");
    var before = {};
    Array.prototype.forEach.call(list.children, function (li) {
      before[li.getAttribute("data-team-id")] = li.getBoundingClientRect();
    });
    var existing = {};
    Array.prototype.forEach.call(list.children, function (li) {
      existing[li.getAttribute("data-team-id")] = li;
    });
    var keep = {};
    rows.forEach(function (row) {
      var id = String(row.team_id);
      var li = existing[id] || makeRow(row);
      fillRow(li, row);
      keep[id] = true;
      list.appendChild(li); // moves an existing row to its new place
    });
    Object.keys(existing).forEach(function (id) { if (!keep[id]) { list.removeChild(existing[id]); } });
    list.classList.toggle("pj-standings--two", rows.length > 10);
    if (!animate || typeof Element.prototype.animate !== "function") { return; }
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) { return; }
    Array.prototype.forEach.call(list.children, function (li) {
      var first = before[li.getAttribute("data-team-id")];
      var last = li.getBoundingClientRect();
      if (!first) {
        li.animate([{ opacity: 0 }, { opacity: 1 }], { duration: 600, easing: "ease-out" });
        return;
      }
      var dx = first.left - last.left, dy = first.top - last.top;
      if (Math.abs(dx) < 1 && Math.abs(dy) < 1) { return; }
      li.animate(
        [{ transform: "translate(" + dx + "px," + dy + "px)" }, { transform: "none" }],
        { duration: 1200, easing: "cubic-bezier(0.2, 0.8, 0.2, 1)" }
      );
      li.classList.remove("pj-row--moved");
      void li.offsetWidth; // restart the highlight
      li.classList.add("pj-row--moved");
    });
  }

  // ---- side panels -----------------------------------------------------------------
  function renderList(name, items, build) {
    var list = field(name);
    if (!list) { return; }
    var fresh = document.createDocumentFragment();
    items.forEach(function (item) { fresh.appendChild(build(item)); });
    list.textContent = "";
    list.appendChild(fresh);
  }
  function chip(item) {
    var li = document.createElement("li");
    li.className = "pj-chip" + (item.saved ? " pj-chip--saved" : "");
    li.textContent = (item.saved ? "\u2713 " : "") + item.name;
    return li;
  }
  function news(item) {
    var li = document.createElement("li");
    li.className = "pj-news__item";
    var round = document.createElement("span");
    round.className = "pj-news__round";
    round.textContent = item.round_label;
    li.appendChild(round);
    li.appendChild(document.createTextNode(" " + item.headline));
    return li;
  }

  function showBanner(message) {
    var banner = field("banner");
    if (!banner) { return; }
    banner.textContent = message;
    banner.classList.remove("pj-hidden");
    window.setTimeout(function () { banner.classList.add("pj-hidden"); }, 8000);
  }

  function apply(state) {
    if (state.status !== root.getAttribute("data-status")) {
      // The game ended (final podium) or was reopened: the page's layout changes.
      window.location.reload();
      return;
    }
    setText(field("title"), state.title);
    var rnd = state.round;
    setText(field("round-label"), rnd ? rnd.label : "");
    var status = field("round-status");
    setText(status, rnd ? rnd.status_label : "");
    status.className = "pj-round__status pj-status--" + (rnd ? rnd.status : "none");
    var countdown = field("countdown");
    countdown.setAttribute("data-deadline", rnd && rnd.deadline ? rnd.deadline : "");
    countdown.classList.toggle("pj-hidden", !(rnd && rnd.status === "open"));
    renderCountdown();
    var published = state.published ? String(state.published.number) : "";
    var isNew = published !== "" && published !== lastPublished;
    if (state.published) { setText(field("published-label"), state.published.label); }
    renderStandings(state.standings, true);
    if (isNew) { showBanner(text("published")); }
    lastPublished = published;
    setText(field("more"), state.more_text);
    setText(field("subs-label"), state.submissions.label);
    renderList("subs", state.submissions.teams, chip);
    if (state.news.length) {
      renderList("news", state.news, news);
    } else {
      renderList("news", [null], function () {
        var li = document.createElement("li");
        li.className = "pj-news__item pj-news__item--none";
        li.textContent = text("no-news");
        return li;
      });
    }
  }

  // ---- polling ---------------------------------------------------------------------
  function readClock(response) {
    var date = response.headers.get("Date");
    var server = date ? Date.parse(date) : NaN;
    if (!isNaN(server)) { clockOffset = server + 500 - Date.now(); } // Date has 1 s resolution
  }
  function setOffline(on) {
    var box = field("offline");
    if (!box) { return; }
    box.textContent = on ? text("offline") : "";
    box.classList.toggle("pj-hidden", !on);
  }
  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        readClock(response);
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        setOffline(false);
        if (state) { apply(state); }
      })
      .catch(function () {
        failures += 1;
        if (failures >= 3) { setOffline(true); }
      })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  lastPublished = root.getAttribute("data-published") || "";
  renderCountdown();
  window.setInterval(renderCountdown, 1000);
  window.setTimeout(poll, pollMs);
})();
