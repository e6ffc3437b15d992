// Contact table: the header checkbox selects or clears every row of the page.
// A static file on purpose: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  function rows(table) {
    return Array.prototype.slice.call(table.querySelectorAll("input.row-select"));
  }

  function syncHeader(table) {
    var header = table.querySelector("input.select-page");
    if (!header) return;
    var boxes = rows(table);
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    header.checked = boxes.length > 0 && checked === boxes.length;
    header.indeterminate = checked > 0 && checked < boxes.length;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    var table = target.closest("table.contacts");
    if (!table) return;
    if (target.classList.contains("select-page")) {
      rows(table).forEach(function (box) { box.checked = target.checked; });
      target.indeterminate = false;
    } else if (target.classList.contains("row-select")) {
      syncHeader(table);
    }
  });

  // Browsers restore checkbox state on back/forward: keep the header in step.
  function syncAll() {
    document.querySelectorAll("table.contacts").forEach(syncHeader);
  }
  window.addEventListener("pageshow", syncAll);
  document.addEventListener("DOMContentLoaded", syncAll);
})();
