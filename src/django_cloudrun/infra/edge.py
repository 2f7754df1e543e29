"""The edge: a global external Application Load Balancer in front of the Cloud Run service.

Browsers reach custom_domains at two reserved global addresses (IPv4 and IPv6). Port 443
ends TLS with one Google-managed certificate for all the domains and sends every request
through a URL map to a backend service whose only backend is a serverless network endpoint
group naming the service; Cloud Armor, when enabled, is that backend service's policy. Port
80 answers with a redirect to HTTPS. The service's ingress is internal-and-cloud-load-
balancing (the config model derives it), so its run.app URL cannot be used to go around
the load balancer and its policy.

Setup as in https://cloud.google.com/load-balancing/docs/https/setup-global-ext-https-serverless
(EXTERNAL_MANAGED is the global external Application Load Balancer's scheme).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute

from ..config import CloudRunConfig
from ..config.names import certificate_name
from ..contract import STATIC_PATH
from .armor import security_policy

__all__ = ["IP_VERSIONS", "SCHEME", "Edge", "edge_resources"]

SCHEME = "EXTERNAL_MANAGED"
IP_VERSIONS = ("IPV4", "IPV6")  # one address each: DNS gets an A and an AAAA record


@dataclass(frozen=True)
class Edge:
    """What the load balancer is made of, for outputs and DNS records."""

    addresses: dict[str, compute.GlobalAddress]  # by IP version
    neg: compute.RegionNetworkEndpointGroup
    cdn: compute.BackendBucket | None  # the static bucket behind Cloud CDN (gcs-cdn)
    backend: compute.BackendService
    policy: compute.SecurityPolicy | None
    url_map: compute.URLMap
    certificate: compute.ManagedSslCertificate
    https_proxy: compute.TargetHttpsProxy
    redirect: compute.URLMap
    http_proxy: compute.TargetHttpProxy
    rules: list[compute.GlobalForwardingRule]


def edge_resources(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    service: pulumi.Input[str],
    static_bucket: pulumi.Input[str] | None = None,
    parent: pulumi.Resource,
) -> Edge | None:
    """The load balancer in front of `service` (its name), with STATIC_PATH sent to
    `static_bucket` when there is one; None when config has no load balancer."""
    if not config.load_balanced:
        return None
    opts = pulumi.ResourceOptions(parent=parent)
    neg = compute.RegionNetworkEndpointGroup(
        f"{name}-neg",
        compute.RegionNetworkEndpointGroupArgs(
            project=project,
            name=f"{name}-neg",
            region=config.region,
            network_endpoint_type="SERVERLESS",
            cloud_run=compute.RegionNetworkEndpointGroupCloudRunArgs(service=service),
        ),
        opts=opts,
    )
    waf = config.edge.waf
    policy = security_policy(name, waf, project=project, parent=parent) if waf.enabled else None
    backend = compute.BackendService(
        f"{name}-backend",
        compute.BackendServiceArgs(
            project=project,
            name=f"{name}-backend",
            load_balancing_scheme=SCHEME,
            backends=[compute.BackendServiceBackendArgs(group=neg.id)],
            security_policy=policy.self_link if policy is not None else None,
            # Request logs are where Cloud Armor's decisions (and preview's would-be
            # decisions) are written.
            log_config=compute.BackendServiceLogConfigArgs(enable=True, sample_rate=1.0),
        ),
        opts=opts,
    )
    cdn = None if static_bucket is None else _cdn_backend(name, project, static_bucket, opts)
    hosts, matchers = _static_routes(backend, cdn) if cdn is not None else (None, None)
    url_map = compute.URLMap(
        f"{name}-urls",
        compute.URLMapArgs(
            project=project,
            name=f"{name}-urls",
            default_service=backend.id,
            host_rules=hosts,
            path_matchers=matchers,
        ),
        opts=opts,
    )
    certificate = compute.ManagedSslCertificate(
        certificate_name(name),
        compute.ManagedSslCertificateArgs(
            project=project,
            # No fixed name: a change of domains replaces the certificate, and an
            # auto-named one can be created beside the old before the proxy switches.
            managed=compute.ManagedSslCertificateManagedArgs(domains=list(config.custom_domains)),
        ),
        opts=opts,
    )
    https_proxy = compute.TargetHttpsProxy(
        f"{name}-https",
        compute.TargetHttpsProxyArgs(
            project=project,
            name=f"{name}-https",
            url_map=url_map.id,
            ssl_certificates=[certificate.id],
        ),
        opts=opts,
    )
    redirect = compute.URLMap(
        f"{name}-redirect",
        compute.URLMapArgs(
            project=project,
            name=f"{name}-redirect",
            default_url_redirect=compute.URLMapDefaultUrlRedirectArgs(
                https_redirect=True,
                strip_query=False,
                redirect_response_code="MOVED_PERMANENTLY_DEFAULT",
            ),
        ),
        opts=opts,
    )
    http_proxy = compute.TargetHttpProxy(
        f"{name}-http",
        compute.TargetHttpProxyArgs(project=project, name=f"{name}-http", url_map=redirect.id),
        opts=opts,
    )
    addresses = {
        version: compute.GlobalAddress(
            f"{name}-{version.lower()}",
            compute.GlobalAddressArgs(
                project=project,
                name=f"{name}-{version.lower()}",
                ip_version=version,
                address_type="EXTERNAL",
            ),
            opts=opts,
        )
        for version in IP_VERSIONS
    }
    rules = [
        _forwarding_rule(f"{name}-{kind}-{version.lower()}", project, address, target, port, opts)
        for version, address in addresses.items()
        for kind, target, port in (("https", https_proxy.id, "443"), ("http", http_proxy.id, "80"))
    ]
    return Edge(
        addresses=addresses,
        neg=neg,
        cdn=cdn,
        backend=backend,
        policy=policy,
        url_map=url_map,
        certificate=certificate,
        https_proxy=https_proxy,
        redirect=redirect,
        http_proxy=http_proxy,
        rules=rules,
    )


def _cdn_backend(
    name: str, project: str, bucket: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> compute.BackendBucket:
    """The static bucket behind Cloud CDN, which caches each object as long as its own
    Cache-Control says (USE_ORIGIN_HEADERS: a year for hashed names, nothing for the rest;
    https://cloud.google.com/cdn/docs/using-cache-modes)."""
    return compute.BackendBucket(
        f"{name}-static-cdn",
        compute.BackendBucketArgs(
            project=project,
            name=f"{name}-static-cdn",
            bucket_name=bucket,
            enable_cdn=True,
            cdn_policy=compute.BackendBucketCdnPolicyArgs(cache_mode="USE_ORIGIN_HEADERS"),
        ),
        opts=opts,
    )


def _static_routes(
    backend: compute.BackendService, cdn: compute.BackendBucket
) -> tuple[list[compute.URLMapHostRuleArgs], list[compute.URLMapPathMatcherArgs]]:
    """The URL map's host rules and path matchers that send STATIC_PATH to the bucket, everything else to the service.
    A backend bucket looks up the request's whole path as the object's name, which is why
    static objects are stored under STATIC_PATH
    (https://cloud.google.com/load-balancing/docs/https/ext-load-balancer-backend-buckets)."""
    hosts = [compute.URLMapHostRuleArgs(hosts=["*"], path_matcher="static")]
    static = compute.URLMapPathMatcherPathRuleArgs(paths=[f"{STATIC_PATH}*"], service=cdn.id)
    matcher = compute.URLMapPathMatcherArgs(
        name="static", default_service=backend.id, path_rules=[static]
    )
    return hosts, [matcher]


def _forwarding_rule(
    name: str,
    project: str,
    address: compute.GlobalAddress,
    target: pulumi.Input[str],
    port: str,
    opts: pulumi.ResourceOptions,
) -> compute.GlobalForwardingRule:
    return compute.GlobalForwardingRule(
        name,
        compute.GlobalForwardingRuleArgs(
            project=project,
            name=name,
            load_balancing_scheme=SCHEME,
            ip_protocol="TCP",
            ip_address=address.address,
            port_range=port,
            target=target,
        ),
        opts=opts,
    )
