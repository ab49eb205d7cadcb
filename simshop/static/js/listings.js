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
