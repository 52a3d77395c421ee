// PolicyDesk page behaviour. No inline scripts: the CSP allows only this origin and nonces.
document.addEventListener("DOMContentLoaded", () => {
  // "/" jumps to the first search or filter box, as in most work tools.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    if (event.key === "/" && !typing) {
      const box = document.querySelector("main input[type=search], main .filters input");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });
  // The language switch submits as soon as a language is chosen (the button stays for keyboards).
  const select = document.getElementById("language-select");
  if (select) { select.addEventListener("change", () => select.form.submit()); }
});
