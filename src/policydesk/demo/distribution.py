"""Reference data: products, intermediaries (banks, brokers) and agents by branch."""

from __future__ import annotations

from .draws import Draws
from .rows import AGENT_PREFIX, Population

# Agents who write their own phone on customers' forms (contacts.AGENT_OWN_PHONE).
SLOPPY_AGENT_SHARE = 0.15


class Distribution(Draws):
    def reference(self) -> Population:
        out = Population()
        for p in self.data.products:
            long_term = p.term == "long"
            out.products.append(
                {
                    "code": p.code,
                    "name": p.name,
                    "name_en": p.name_en,
                    "line": p.line,
                    "term": p.term,
                    "cooling_off_days": {"CN": 15, "HK": 21, "SG": 14} if long_term else {},
                    "payment_modes": list(p.modes),
                    "callback_required": long_term,
                }
            )
        for i in self.data.intermediaries:
            out.intermediaries.append({"code": i.code, "name": i.name, "kind": i.kind})
        for branch, weight in self.data.branch_weights.items():
            count = max(4, round(self.total * weight / 100 / 120))
            agents = []
            for index in range(count):
                surname = self.pick(self.data.surnames, self.data.surname_weights)
                given = self.pick(
                    self.data.given_names[self.pick(["middle_male", "middle_female"])]
                )
                agents.append(
                    {
                        "code": f"{AGENT_PREFIX}{branch}-{index + 1:04d}",
                        "name": surname + given,
                        "branch": branch,
                        "phone_e164": "+86" + self.mobile(),
                        "is_active": self.chance(0.9),
                    }
                )
            sloppy = [a for a in agents if a["is_active"] and self.chance(SLOPPY_AGENT_SHARE)]
            self.agents_by_branch[branch] = [a for a in agents if a["is_active"]]
            self.sloppy_agents[branch] = sloppy or self.agents_by_branch[branch][:1]
            out.agents.extend(agents)
        return out
