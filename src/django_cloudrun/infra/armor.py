"""Cloud Armor: Google's preconfigured OWASP rules and per-client rate limits, as one policy.

Rules are evaluated by priority and the first match decides
(https://cloud.google.com/armor/docs/security-policy-overview#rule-evaluation-order), so the
WAF rules come first (a throttle's "allow" would otherwise let an attack through), then the
login throttle (a login request counts against it only), then the site-wide throttle, then
the default rule that allows the rest. In preview mode every rule but the default is
evaluated and logged without being enforced.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute

from ..config.sections import WafConfig

__all__ = ["DEFAULT_PRIORITY", "WAF_RULES", "WafRule", "rule_count", "security_policy"]


@dataclass(frozen=True)
class WafRule:
    name: str  # Cloud Armor's preconfigured rule name
    attack: str


# The OWASP Core Rule Set 3.3 rules, by their current stable names
# (https://cloud.google.com/armor/docs/waf-rules, "CRS 3.3"), matched with the expression
# evaluatePreconfiguredWaf('NAME', {'sensitivity': N})
# (https://cloud.google.com/armor/docs/rule-tuning#choose_a_sensitivity_level).
WAF_RULES = (
    WafRule("sqli-v33-stable", "SQL injection"),
    WafRule("xss-v33-stable", "cross-site scripting"),
    WafRule("lfi-v33-stable", "local file inclusion"),
    WafRule("rfi-v33-stable", "remote file inclusion"),
    WafRule("rce-v33-stable", "remote code execution"),
    WafRule("scannerdetection-v33-stable", "scanner detection"),
    WafRule("protocolattack-v33-stable", "protocol attack"),
)
WAF_PRIORITY = 1000  # the first WAF rule's; the others follow one by one
LOGIN_PRIORITY = 2000
SITE_PRIORITY = 2100
# The default rule has the lowest priority there is, 2147483647, and matches every source
# address (https://cloud.google.com/armor/docs/security-policy-overview#default_rule).
DEFAULT_PRIORITY = 2_147_483_647
RATE_INTERVAL_SECONDS = 60  # one of the intervals a throttle allows (rate-limiting-overview)
# A client over its limit is answered 429 Too Many Requests, the status Google recommends
# (https://cloud.google.com/armor/docs/rate-limiting-overview#throttle-traffic).
OVER_LIMIT = "deny(429)"


def rule_count(waf: WafConfig) -> int:
    """How many rules the policy holds, the default rule included."""
    return len(_rules(waf))


def security_policy(
    name: str, waf: WafConfig, *, project: str, parent: pulumi.Resource
) -> compute.SecurityPolicy:
    """The backend's policy: WAF rules, the login and the site throttle, allow the rest."""
    return compute.SecurityPolicy(
        f"{name}-armor",
        compute.SecurityPolicyArgs(
            project=project,
            name=f"{name}-armor",
            description="OWASP rules and per-client rate limits in front of the service.",
            type="CLOUD_ARMOR",
            rules=_rules(waf),
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _rules(waf: WafConfig) -> list[compute.SecurityPolicyRuleArgs]:
    preview = waf.mode == "preview"
    owasp = [
        compute.SecurityPolicyRuleArgs(
            priority=WAF_PRIORITY + index,
            description=f"OWASP CRS: {rule.attack}",
            action="deny(403)",
            preview=preview,
            match=_expression(
                f"evaluatePreconfiguredWaf('{rule.name}', {{'sensitivity': {waf.sensitivity}}})"
            ),
        )
        for index, rule in enumerate(WAF_RULES)
    ]
    # login_path is a URL path without quotes (config.rules.UrlPath), safe in a CEL string;
    # request.path is in the rules language
    # (https://cloud.google.com/armor/docs/rules-language-reference#attributes).
    login = _throttle(
        LOGIN_PRIORITY,
        f"Per-client limit on {waf.login_path}",
        _expression(f"request.path.startsWith('{waf.login_path}')"),
        waf.login_rate_limit_per_minute,
        preview,
    )
    site = _throttle(
        SITE_PRIORITY,
        "Per-client limit over the site",
        _every_address(),
        waf.rate_limit_per_minute,
        preview,
    )
    default = compute.SecurityPolicyRuleArgs(
        priority=DEFAULT_PRIORITY,
        description="Allow what no rule above refused.",
        action="allow",
        match=_every_address(),
    )
    return [*owasp, login, site, default]


def _throttle(
    priority: int,
    description: str,
    match: compute.SecurityPolicyRuleMatchArgs,
    per_minute: int,
    preview: bool,
) -> compute.SecurityPolicyRuleArgs:
    """A throttle keyed on the client's IP address: up to `per_minute` pass, more get 429."""
    return compute.SecurityPolicyRuleArgs(
        priority=priority,
        description=description,
        action="throttle",
        preview=preview,
        match=match,
        rate_limit_options=compute.SecurityPolicyRuleRateLimitOptionsArgs(
            conform_action="allow",
            exceed_action=OVER_LIMIT,
            enforce_on_key="IP",
            rate_limit_threshold=compute.SecurityPolicyRuleRateLimitOptionsRateLimitThresholdArgs(
                count=per_minute, interval_sec=RATE_INTERVAL_SECONDS
            ),
        ),
    )


def _expression(text: str) -> compute.SecurityPolicyRuleMatchArgs:
    return compute.SecurityPolicyRuleMatchArgs(
        expr=compute.SecurityPolicyRuleMatchExprArgs(expression=text)
    )


def _every_address() -> compute.SecurityPolicyRuleMatchArgs:
    return compute.SecurityPolicyRuleMatchArgs(
        versioned_expr="SRC_IPS_V1",
        config=compute.SecurityPolicyRuleMatchConfigArgs(src_ip_ranges=["*"]),
    )
