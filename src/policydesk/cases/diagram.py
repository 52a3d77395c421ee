"""A process version drawn as an SVG state diagram, on the server (no script, no CDN).

States stand in a row in their defined order, coloured by category; each transition is an
arc from one state to another, above the row when it goes forward and below when it goes
back, labelled with its name. Good enough to check a design at a glance; the definition
document stays the source of truth.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import ProcessVersion, StateCategory

BOX_W, BOX_H, GAP, TOP = 132, 44, 36, 150
COLOURS: dict[str, str] = {
    StateCategory.OPEN: "#dbeafe",
    StateCategory.WAITING_CUSTOMER: "#fef3c7",
    StateCategory.WAITING_THIRD_PARTY: "#fef3c7",
    StateCategory.PAUSED: "#ede9fe",
    StateCategory.RESOLVED: "#dcfce7",
    StateCategory.CLOSED: "#e5e7eb",
}


def process_diagram(version: ProcessVersion) -> SafeString:
    states = list(version.states.order_by("position", "id"))
    if not states:
        return mark_safe("")
    index = {state.pk: i for i, state in enumerate(states)}
    width = len(states) * (BOX_W + GAP) + GAP
    height = TOP * 2 + BOX_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="process-diagram" aria-labelledby="diagram-title">',
        f'<title id="diagram-title">{escape(version.process.name)} v{version.number}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'fill="#374151"/></marker></defs>',
    ]
    for transition_number, transition in enumerate(version.transitions.order_by("position", "id")):
        a, b = index[transition.from_state_id], index[transition.to_state_id]
        x1 = GAP + a * (BOX_W + GAP) + BOX_W / 2
        x2 = GAP + b * (BOX_W + GAP) + BOX_W / 2
        forward = b >= a
        y = TOP if forward else TOP + BOX_H
        lift = 30 + 14 * abs(b - a) + 6 * (transition_number % 3)
        cy = y - lift if forward else y + lift
        parts.append(
            f'<path d="M{x1:.0f},{y} Q{(x1 + x2) / 2:.0f},{cy} {x2:.0f},{y}" fill="none" '
            f'stroke="#374151" stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
        label_y = (y + cy) / 2 + (-3 if forward else 11)
        parts.append(
            f'<text x="{(x1 + x2) / 2:.0f}" y="{label_y:.0f}" font-size="11" '
            f'text-anchor="middle" fill="#111827">{escape(transition.name)}</text>'
        )
    for i, state in enumerate(states):
        x = GAP + i * (BOX_W + GAP)
        stroke = ' stroke-width="3"' if state.is_initial else ' stroke-width="1"'
        parts.append(
            f'<rect x="{x}" y="{TOP}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{COLOURS.get(state.category, "#fff")}" stroke="#1f2937"{stroke}/>'
        )
        parts.append(
            f'<text x="{x + BOX_W / 2:.0f}" y="{TOP + 19}" font-size="13" text-anchor="middle" '
            f'fill="#111827">{escape(state.name)}</text>'
        )
        parts.append(
            f'<text x="{x + BOX_W / 2:.0f}" y="{TOP + 35}" font-size="10" text-anchor="middle" '
            f'fill="#4b5563">{escape(state.get_category_display())}</text>'
        )
    parts.append("</svg>")
    # Every text inside was escaped above; the markup itself is ours.
    return mark_safe("".join(parts))  # noqa: S308
