/* global document, window */
// Tidemark console: the little that plain HTML forms and htmx do not do on their own.
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  // Every htmx request carries the CSRF token, as every form does in a hidden field.
  document.addEventListener('htmx:configRequest', function (e) {
    if (meta) e.detail.headers['x-csrf-token'] = meta.getAttribute('content');
  });
  // "All" checkboxes tick or untick the boxes of their group (data-all="group").
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || !t.getAttribute) return;
    var group = t.getAttribute('data-all');
    if (group) {
      document.querySelectorAll('input[data-group="' + group + '"]').forEach(function (b) { b.checked = t.checked; });
    }
  });
  // Forms that ask before they act (deletions, reversals) without JavaScript still work: the
  // server asks on a page of its own when the confirmation field is missing.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var q = f && f.getAttribute && f.getAttribute('data-confirm');
    if (q && !window.confirm(q)) e.preventDefault();
  });
})();
