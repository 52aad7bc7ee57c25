// Civitai Shortcut: drop links (from the address bar or any page) onto the register box.
// The WebUI loads this file itself; the standalone app installs it through a load event.
// Works on Gradio 3.41 and 4.40 DOMs: one listener on the document, found by elem_id.
(function () {
  "use strict";
  if (window.civitaiShortcutDropInstalled) return;
  window.civitaiShortcutDropInstalled = true;

  var BOX = "#cs_register_links";

  function registerBox(target) {
    return target && target.closest ? target.closest(BOX) : null;
  }

  function droppedLinks(transfer) {
    if (!transfer) return [];
    var text = transfer.getData("text/uri-list") || transfer.getData("text/plain") || "";
    return text.split(/\r?\n/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s && s.charAt(0) !== "#"; });
  }

  function offersText(transfer) {
    var types = transfer ? Array.prototype.slice.call(transfer.types || []) : [];
    return types.indexOf("text/uri-list") >= 0 || types.indexOf("text/plain") >= 0;
  }

  function appendLinks(box, links) {
    var area = box.querySelector("textarea") || box.querySelector("input");
    if (!area) return false;
    var current = area.value.replace(/\s+$/, "");
    area.value = (current ? current + "\n" : "") + links.join("\n");
    // Gradio listens for input events to update the component's value
    area.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  document.addEventListener("dragover", function (event) {
    if (registerBox(event.target) && offersText(event.dataTransfer)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  }, true);

  document.addEventListener("drop", function (event) {
    var box = registerBox(event.target);
    if (!box) return;
    var links = droppedLinks(event.dataTransfer);
    if (!links.length) return;  // files and other drops go to Gradio as usual
    event.preventDefault();
    event.stopPropagation();
    appendLinks(box, links);
  }, true);
})();
