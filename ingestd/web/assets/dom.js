/*
 * dom.js -- building elements.  Every piece of data reaches the page as a
 * text node or an attribute value, never as HTML, so a monitor's name or a
 * job's output cannot inject markup.
 */

/* el("a", {href: "#/", class: "x", onclick: f}, "text", child, ...) */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const SVG = "http://www.w3.org/2000/svg";
export function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
  for (const c of children) if (c) e.append(c);
  return e;
}

/* Tells screen readers about a change made without their asking (aria-live). */
export function announce(text) {
  const live = document.getElementById("live");
  live.textContent = "";
  live.textContent = text;
}

export async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    /* no clipboard permission (plain http): select a hidden copy instead */
    const ta = el("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  const was = button.textContent;
  button.textContent = "Copied";
  announce("Copied to the clipboard");
  setTimeout(() => { button.textContent = was; }, 1500);
}

/* A copy button for what text() answers when pressed. */
export function copyButton(label, text) {
  const b = el("button", { type: "button", class: "copy", "aria-label": label, text: "Copy" });
  b.addEventListener("click", () => copyText(text(), b));
  return b;
}
