// The framed LTI landing page: if the session cookie came back in this frame, go on to the
// game here; otherwise say why and leave the "new window" button (docs/lti.md).
(function () {
  "use strict";
  var card = document.getElementById("lti-landing");
  if (!card) {
    return;
  }
  function blocked() {
    document.getElementById("lti-landing-checking").hidden = true;
    document.getElementById("lti-landing-blocked").hidden = false;
    document.getElementById("lti-continue-here").hidden = true;
  }
  fetch(card.getAttribute("data-session-url"), { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      return response.ok ? response.json() : { signed_in: false };
    })
    .then(function (answer) {
      if (answer.signed_in) {
        window.location.replace(card.getAttribute("data-target"));
      } else {
        blocked();
      }
    })
    .catch(blocked);
})();
