// The keyword picker of the listing editor: "Add to title" appends a search term to the
// offer's title (with a space). Without JavaScript the buttons stay hidden and the terms
// are there to copy.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.keyword-add[data-term][data-target]");
  Array.prototype.forEach.call(buttons, function (button) {
    var title = document.getElementById(button.getAttribute("data-target"));
    if (!title) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var term = button.getAttribute("data-term");
      var text = title.value;
      if (text.toLowerCase().indexOf(term.toLowerCase()) !== -1) { title.focus(); return; }
      title.value = text.replace(/\s+$/, "") + (text.trim() ? " " : "") + term;
      title.dispatchEvent(new Event("input", { bubbles: true }));
      title.focus();
    });
  });
})();

// A character count under each listing text ("123 / 200"), marked when over the limit the
// engine checks on saving (the same count: characters, line breaks as one).
(function () {
  "use strict";
  var fields = document.querySelectorAll(".listing-text[data-limit]");
  Array.prototype.forEach.call(fields, function (field) {
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    if (!limit) { return; }
    var count = document.createElement("span");
    count.className = "listing-count muted";
    count.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", count);
    function update() {
      var length = Array.from(field.value.replace(/\r\n/g, "\n")).length;
      count.textContent = length + " / " + limit;
      count.classList.toggle("listing-count--over", length > limit);
    }
    field.addEventListener("input", update);
    update();
  });
})();
