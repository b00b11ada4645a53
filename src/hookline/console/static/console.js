// hookline console: the few things a page cannot do without a script.
"use strict";
document.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  if (target.dataset.reveal) {
    const field = document.getElementById(target.dataset.reveal);
    const hidden = field.type === "password";
    field.type = hidden ? "text" : "password";
    target.textContent = hidden ? "Hide" : "Show";
  } else if (target.dataset.copy) {
    const value = document.getElementById(target.dataset.copy).value;
    const done = () => { target.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done);
    } else {
      const area = document.createElement("textarea");
      area.value = value;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  } else if (target.id === "add-header") {
    const rows = document.getElementById("headers");
    const row = rows.querySelector(".header-row").cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    rows.appendChild(row);
  } else if (target.classList.contains("remove-row")) {
    const row = target.closest(".header-row");
    if (document.querySelectorAll(".header-row").length > 1) row.remove();
    else row.querySelectorAll("input").forEach((input) => { input.value = ""; });
  }
});
// The synchronous call's options show only for a synchronous hook.
document.addEventListener("change", (event) => {
  if (event.target.id !== "mode") return;
  document.getElementById("sync-options").hidden = event.target.value !== "sync";
});
