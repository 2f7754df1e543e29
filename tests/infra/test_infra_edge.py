"""The edge: load balancer, managed certificate, HTTP redirect, Cloud Armor, and their wiring."""

from __future__ import annotations

from django_cloudrun.config import parse_config
from django_cloudrun.infra.armor import DEFAULT_PRIORITY, WAF_RULES
from django_cloudrun.infra.plan import plan, summary
from infra_support import BUCKET, SERVICE, deploy, env_of, job_container, service_container

ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
BACKEND = "gcp:compute/backendService:BackendService"
URL_MAP = "gcp:compute/uRLMap:URLMap"
CERTIFICATE = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
HTTP_PROXY = "gcp:compute/targetHttpProxy:TargetHttpProxy"
RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
EDGE_TYPES = (ADDRESS, NEG, BACKEND, URL_MAP, CERTIFICATE, HTTPS_PROXY, HTTP_PROXY, RULE, POLICY)
PREFIX = "https://www.googleapis.com/compute/v1/projects/my-project"

DOMAINS = 'custom_domains = ["shop.example.com", "www.shop.example.com"]\n'
WAF = DOMAINS + "[edge.waf]\nenabled = true\n"


def test_without_a_load_balancer_nothing_of_the_edge_is_declared():
    declared = deploy()
    assert not [key for key in declared.inputs if key[0] in EDGE_TYPES]
    assert declared.one(SERVICE)["ingress"] == "INGRESS_TRAFFIC_ALL"


def test_custom_domains_get_a_load_balancer_and_the_service_only_admits_it():
    declared = deploy(DOMAINS)
    assert declared.one(SERVICE)["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    assert {name for (typ, name) in declared.inputs if typ in EDGE_TYPES} == {
        "demo-django-neg",
        "demo-django-backend",
        "demo-django-urls",
        "demo-django-cert",
        "demo-django-https",
        "demo-django-redirect",
        "demo-django-http",
        "demo-django-ipv4",
        "demo-django-ipv6",
        "demo-django-https-ipv4",
        "demo-django-http-ipv4",
        "demo-django-https-ipv6",
        "demo-django-http-ipv6",
    }


def test_the_serverless_neg_names_the_service_in_its_region():
    declared = deploy('region = "europe-west1"\n' + DOMAINS)
    neg = declared.one(NEG)
    assert neg["networkEndpointType"] == "SERVERLESS"
    assert neg["region"] == "europe-west1"
    assert neg["cloudRun"] == {"service": declared.one(SERVICE)["name"]}


def test_https_goes_through_the_certificate_and_url_map_to_the_neg():
    declared = deploy(DOMAINS)
    backend = declared.one(BACKEND)
    assert backend["loadBalancingScheme"] == "EXTERNAL_MANAGED"
    assert backend["backends"] == [
        {"group": "projects/my-project/regions/us-central1/networkEndpointGroups/demo-django-neg"}
    ]
    assert "securityPolicy" not in backend  # no WAF asked for
    assert declared.named(URL_MAP, "demo-django-urls")["defaultService"] == (
        "projects/my-project/global/backendServices/demo-django-backend"
    )
    assert declared.one(CERTIFICATE)["managed"] == {
        "domains": ["shop.example.com", "www.shop.example.com"]
    }
    proxy = declared.one(HTTPS_PROXY)
    assert proxy["urlMap"] == "projects/my-project/global/urlMaps/demo-django-urls"
    assert proxy["sslCertificates"] == [
        "projects/my-project/global/sslCertificates/demo-django-cert"
    ]


def test_each_address_takes_https_on_443_and_http_on_80():
    declared = deploy(DOMAINS)
    addresses = declared.of_type(ADDRESS)
    assert {name: a["ipVersion"] for name, a in addresses.items()} == {
        "demo-django-ipv4": "IPV4",
        "demo-django-ipv6": "IPV6",
    }
    rules = declared.of_type(RULE)
    targets = {
        name: (rule["ipAddress"], rule["portRange"], rule["target"].rsplit("/", 1)[-1])
        for name, rule in rules.items()
    }
    assert targets == {
        "demo-django-https-ipv4": ("203.0.113.10", "443", "demo-django-https"),
        "demo-django-http-ipv4": ("203.0.113.10", "80", "demo-django-http"),
        "demo-django-https-ipv6": ("2001:db8::1", "443", "demo-django-https"),
        "demo-django-http-ipv6": ("2001:db8::1", "80", "demo-django-http"),
    }
    assert {rule["loadBalancingScheme"] for rule in rules.values()} == {"EXTERNAL_MANAGED"}


def test_http_is_redirected_to_https_keeping_the_query():
    declared = deploy(DOMAINS)
    redirect = declared.named(URL_MAP, "demo-django-redirect")
    assert redirect["defaultUrlRedirect"] == {
        "httpsRedirect": True,
        "stripQuery": False,
        "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
    }
    assert "defaultService" not in redirect
    assert declared.one(HTTP_PROXY)["urlMap"] == (
        "projects/my-project/global/urlMaps/demo-django-redirect"
    )


def test_the_waf_policy_is_on_the_backend_service():
    declared = deploy(WAF)
    policy = declared.one(POLICY)
    assert policy["type"] == "CLOUD_ARMOR"
    assert declared.one(BACKEND)["securityPolicy"] == (
        f"{PREFIX}/global/securityPolicies/demo-django-armor"
    )


def _rules(text: str) -> dict[int, dict]:
    return {rule["priority"]: rule for rule in deploy(text).one(POLICY)["rules"]}


def test_the_policy_denies_the_owasp_rule_sets_at_the_chosen_sensitivity():
    rules = _rules(WAF + "sensitivity = 3\n")
    owasp = [rule for rule in rules.values() if rule["action"] == "deny(403)"]
    assert [rule["match"]["expr"]["expression"] for rule in owasp] == [
        f"evaluatePreconfiguredWaf('{name}', {{'sensitivity': 3}})"
        for name in (
            "sqli-v33-stable",
            "xss-v33-stable",
            "lfi-v33-stable",
            "rfi-v33-stable",
            "rce-v33-stable",
            "scannerdetection-v33-stable",
            "protocolattack-v33-stable",
        )
    ]
    assert len(owasp) == len(WAF_RULES)
    assert not any(rule["preview"] for rule in owasp)


def test_login_is_throttled_harder_than_the_site_and_after_the_waf():
    rules = _rules(
        WAF + 'rate_limit_per_minute = 300\nlogin_rate_limit_per_minute = 5\nlogin_path = "/x/"\n'
    )
    throttles = sorted(
        (priority, rule) for priority, rule in rules.items() if rule["action"] == "throttle"
    )
    (login_priority, login), (site_priority, site) = throttles
    waf_priorities = [p for p, rule in rules.items() if rule["action"] == "deny(403)"]
    assert max(waf_priorities) < login_priority < site_priority < DEFAULT_PRIORITY
    assert login["match"]["expr"]["expression"] == "request.path.startsWith('/x/')"
    assert site["match"] == {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}}
    for rule, count in ((login, 5), (site, 300)):
        assert rule["rateLimitOptions"] == {
            "conformAction": "allow",
            "exceedAction": "deny(429)",
            "enforceOnKey": "IP",
            "rateLimitThreshold": {"count": count, "intervalSec": 60},
        }


def test_the_default_rule_allows_every_address_last():
    default = _rules(WAF)[DEFAULT_PRIORITY]
    assert default["action"] == "allow"
    assert default["match"] == {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}}


def test_preview_mode_logs_every_rule_but_enforces_none():
    rules = _rules(WAF + 'mode = "preview"\n')
    assert all(rule["preview"] for p, rule in rules.items() if p != DEFAULT_PRIORITY)
    assert len(rules) == len(WAF_RULES) + 3


def test_backend_logs_every_request_for_armor_decisions():
    assert deploy(WAF).one(BACKEND)["logConfig"] == {"enable": True, "sampleRate": 1}


def test_plan_prices_four_forwarding_rules_without_a_waf():
    cost = plan(parse_config(DOMAINS))["edge_cost"]
    # 4 rules are within the first 5, billed together at $0.025 an hour for 730 hours.
    assert cost["lines"] == [{"item": "forwarding rules", "quantity": 4, "monthly_usd": 18.25}]
    assert cost["total_usd"] == 18.25


def test_plan_adds_the_armor_policy_and_each_of_its_rules():
    cost = plan(parse_config(WAF))["edge_cost"]
    rules = len(WAF_RULES) + 3  # the OWASP rules, two throttles, the default rule
    assert cost["lines"][1:] == [
        {"item": "Cloud Armor policy", "quantity": 1, "monthly_usd": 5.0},
        {"item": "Cloud Armor rules", "quantity": rules, "monthly_usd": float(rules)},
    ]
    assert cost["total_usd"] == 18.25 + 5 + rules


def test_plan_prices_nothing_without_a_load_balancer():
    assert plan(parse_config(""))["edge_cost"]["lines"] == []


def test_plan_stops_warning_of_no_waf_once_one_is_enabled():
    assert not [w for w in plan(parse_config(WAF))["warnings"] if "Cloud Armor" in w]
    assert any(
        w.startswith("ingress_settings = internal-and-cloud-load-balancing with no Cloud Armor")
        for w in plan(parse_config(DOMAINS))["warnings"]
    )


def test_plan_summarises_the_policy_by_its_rules_and_the_backend_by_its_wiring():
    resources = {r["name"]: r for r in plan(parse_config(WAF))["resources"]}
    policy = dict(summary(resources["demo-django-armor"]))
    assert policy["rules[0].preview"] is False
    assert policy["rules[0].match.expr.expression"] == (
        "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"
    )
    assert policy["rules[8].rateLimitOptions.rateLimitThreshold.count"] == 600
    backend = dict(summary(resources["demo-django-backend"]))
    assert backend["securityPolicy"].endswith("/securityPolicies/demo-django-armor")


def test_behind_the_load_balancer_plan_does_not_offer_public_false():
    assert not [w for w in plan(parse_config(DOMAINS))["warnings"] if w.startswith("public")]


CDN = DOMAINS + '[static]\nmode = "gcs-cdn"\n'
BACKEND_BUCKET = "gcp:compute/backendBucket:BackendBucket"


def test_gcs_cdn_makes_a_uniform_static_bucket_whose_only_public_grant_is_object_viewer():
    declared = deploy(CDN)
    buckets = declared.of_type(BUCKET)
    static = buckets["demo-django-static"]
    assert static["name"] == "my-project-demo-django-django-static"
    assert static["uniformBucketLevelAccess"] is True
    assert static["publicAccessPrevention"] == "inherited"
    assert buckets["demo-django-media"]["publicAccessPrevention"] == "enforced"
    public = [(m, r, b) for m, r, b in declared.iam() if m.startswith("all")]
    assert public == [("allUsers", "roles/storage.objectViewer", static["name"])]


def test_only_the_migrate_job_may_write_the_static_bucket():
    declared = deploy(CDN)
    static = declared.named(BUCKET, "demo-django-static")["name"]
    writers = {m for m, r, b in declared.iam() if b == static and r == "roles/storage.objectAdmin"}
    assert writers == {"serviceAccount:demo-django-migrate@my-project.iam.gserviceaccount.com"}


def test_the_url_map_sends_the_static_path_to_the_bucket_behind_cloud_cdn():
    declared = deploy(CDN)
    cdn = declared.one(BACKEND_BUCKET)
    assert cdn["bucketName"] == "my-project-demo-django-django-static"
    assert cdn["enableCdn"] is True
    assert cdn["cdnPolicy"]["cacheMode"] == "USE_ORIGIN_HEADERS"
    url_map = declared.named(URL_MAP, "demo-django-urls")
    assert url_map["hostRules"] == [{"hosts": ["*"], "pathMatcher": "static"}]
    (matcher,) = url_map["pathMatchers"]
    assert matcher["defaultService"] == url_map["defaultService"]
    assert matcher["pathRules"] == [
        {
            "paths": ["/static/*"],
            "service": "projects/my-project/global/backendBuckets/demo-django-static-cdn",
        }
    ]


def test_the_service_and_migrate_are_told_the_static_bucket():
    declared = deploy(CDN)
    plain, _ = env_of(service_container(declared))
    assert plain["CLOUDRUN_STATIC_BUCKET"] == "my-project-demo-django-django-static"
    migrate, _ = env_of(job_container(declared, "migrate"))
    assert migrate["CLOUDRUN_STATIC_BUCKET"] == plain["CLOUDRUN_STATIC_BUCKET"]


def test_without_gcs_cdn_there_is_no_static_bucket_and_no_public_grant():
    declared = deploy(DOMAINS)
    assert "demo-django-static" not in declared.of_type(BUCKET)
    assert not declared.of_type(BACKEND_BUCKET)
    assert "hostRules" not in declared.named(URL_MAP, "demo-django-urls")
    assert not [m for m, _r, _b in declared.iam() if m.startswith("all")]
    plain, _ = env_of(service_container(declared))
    assert "CLOUDRUN_STATIC_BUCKET" not in plain


def test_plan_warns_that_the_static_bucket_is_public():
    assert any(
        w.startswith('static.mode = "gcs-cdn": anyone may read the static bucket')
        for w in plan(parse_config(CDN))["warnings"]
    )
