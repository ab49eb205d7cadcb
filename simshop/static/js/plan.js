// The live plan of the decision form: as the student types, the form's values are sent to
// the plan endpoint (GET, never writes) and the panel it renders (the same template
// partial the page shows without JavaScript) replaces the one on the page.
// The CSRF token and the version stay out of the query string, and so do listing texts.
(function () {
  "use strict";
  var form = document.getElementById("decision-form");
  var slot = document.getElementById("plan-slot");
  if (!form || !slot || !window.fetch || !window.URLSearchParams) { return; }
  var url = form.getAttribute("data-plan-url");
  var timer = null;
  var latest = 0;

  function query() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.name === "version" || el.disabled) { return; }
      // Listing texts do not change the plan's money and would make the URL too long;
      // an empty value means the same as no value to the plan endpoint.
      if (el.hasAttribute("data-plan-skip") || el.value === "") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      if (el.type === "submit" || el.type === "button") { return; }
      params.append(el.name, el.value);
    });
    return params.toString();
  }

  // A value that cannot be read: its message, with the field's label, replaces the panel
  // (a plan of the other values would mislead).
  function showErrors(errors) {
    var box = document.createElement("div");
    box.id = "plan-errors";
    box.className = "flash flash--error";
    box.setAttribute("role", "status");
    slot.textContent = "";
    slot.appendChild(box);
    var list = document.createElement("ul");
    errors.forEach(function (e) {
      var item = document.createElement("li");
      item.textContent = (e.label ? e.label + ": " : "") + e.message;
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function refresh() {
    var mine = ++latest;
    fetch(url + "?" + query(), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (reply) {
      if (mine !== latest) { return; }
      if (!reply.ok) { showErrors(reply.data.errors || []); return; }
      var parsed = new DOMParser().parseFromString(reply.data.html, "text/html");
      var panel = parsed.getElementById("plan-panel");
      if (!panel) { return; }
      slot.textContent = "";
      slot.appendChild(document.importNode(panel, true));
    }).catch(function () { /* offline: the "Check my plan" button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.setAttribute("data-plan-live", "on");
})();
