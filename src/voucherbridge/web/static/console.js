// Copy buttons (listing ids, new terminal keys): the Clipboard API where the page is allowed
// to use it, else a selected hidden text area and execCommand (plain http on a shop LAN).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const text = button.dataset.copy || "";
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      copied = true;
    }
  } catch (_) { copied = false; }
  if (!copied) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { copied = document.execCommand("copy"); } catch (_) { copied = false; }
    area.remove();
  }
  if (copied) {
    const label = button.textContent;
    button.textContent = button.dataset.done || "✓";
    setTimeout(() => { button.textContent = label; }, 1500);
  }
});
