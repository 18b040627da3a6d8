/* Gazette: the "Copy link" button and the print view. A static file, so the CSP can forbid inline script. */
(function () {
  "use strict";

  function say(status, message) {
    if (status) {
      status.textContent = message;
    }
  }

  function selectPermalink() {
    var link = document.getElementById("permalink");
    if (!link || !window.getSelection) {
      return false;
    }
    var range = document.createRange();
    range.selectNodeContents(link);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand("copy");
    } catch (err) {
      return false;
    }
  }

  function copy(button) {
    var text = button.getAttribute("data-copy") || "";
    var status = document.getElementById(button.getAttribute("aria-describedby") || "copy-status");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(status, "Link copied."); },
        function () { say(status, selectPermalink() ? "Link copied." : "Press Ctrl+C to copy the selected link."); }
      );
    } else {
      say(status, selectPermalink() ? "Link copied." : "Press Ctrl+C to copy the selected link.");
    }
  }

  function init() {
    var buttons = document.querySelectorAll("button.copy-link[data-copy]");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].addEventListener("click", function (event) { copy(event.currentTarget); });
    }
    // The static build serves one file for both views: ?view=print switches to the print layout here.
    if (/(^|[?&])view=print(&|$)/.test(window.location.search)) {
      document.body.classList.add("print-view");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
