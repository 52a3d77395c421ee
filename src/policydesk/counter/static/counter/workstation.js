// Counter workstation keys: a single key presses the button (or ticks the radio) marked
// data-shortcut="<key>", unless the focus is in a text field. No inline scripts (CSP).
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLInputElement && target.type !== "radio" && target.type !== "checkbox"
    || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
  if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
  const control = document.querySelector(`[data-shortcut="${CSS.escape(event.key.toLowerCase())}"]`);
  if (!control) { return; }
  event.preventDefault();
  if (control instanceof HTMLInputElement && control.type === "radio") { control.checked = true; control.focus(); }
  else { control.click(); }
});
