"""An offline engine for the program: Pulumi mocks that answer like Google Cloud would.

The mocks record each resource's inputs keyed by (type, name) and return outputs shaped
like the real ones (an account's email, an instance's connection name, a secret version's
number), so everything derived from them looks as it will after a deployment. Random
passwords get obviously fake values, remembered so that a plan can redact them.

`Recorder` is a resource transformation: it sees each resource as it is declared, in
order, with the options the mocks cannot see (explicit dependencies, custom timeouts).
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi

from ..config.names import digest

__all__ = ["MOCK_PROJECT_NUMBER", "Key", "OfflineMocks", "Recorder"]

MOCK_PROJECT_NUMBER = "123456789012"
Key = tuple[str, str]  # (type, name)

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
MOCK_CA = "-----BEGIN CERTIFICATE-----\nmock broker authority\n-----END CERTIFICATE-----\n"
SQL_ADMIN = "https://sqladmin.googleapis.com/sql/v1beta4"
COMPUTE = "https://www.googleapis.com/compute/v1"
# Compute API collections, as resource paths name them (compute v1 discovery document).
_COMPUTE_COLLECTIONS = {
    "gcp:compute/globalAddress:GlobalAddress": "addresses",
    "gcp:compute/backendService:BackendService": "backendServices",
    "gcp:compute/backendBucket:BackendBucket": "backendBuckets",
    "gcp:compute/uRLMap:URLMap": "urlMaps",
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": "sslCertificates",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": "targetHttpsProxies",
    "gcp:compute/targetHttpProxy:TargetHttpProxy": "targetHttpProxies",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": "forwardingRules",
    "gcp:compute/securityPolicy:SecurityPolicy": "securityPolicies",
}


class OfflineMocks(pulumi.runtime.Mocks):
    """Mocks for one run of the program in project `project`."""

    def __init__(
        self, *, project: str, region: str, project_number: str = MOCK_PROJECT_NUMBER
    ) -> None:
        self.project = project
        self.region = region
        self.project_number = project_number
        self.inputs: dict[Key, dict[str, Any]] = {}
        self.secret_values: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (function token, arguments)
        self._lock = threading.Lock()

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        resource_id, extra = self._outputs(args.typ, args.name, inputs)
        with self._lock:
            if args.custom:
                self.inputs[(args.typ, args.name)] = inputs
        return resource_id, {**inputs, **extra}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        with self._lock:
            self.calls.append((args.token, dict(args.args)))
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId") or self.project
            return {
                "projectId": project,
                "number": self.project_number,
                "name": project,
                "id": f"projects/{project}",
            }, []
        if args.token == "gcp:secretmanager/getSecretVersion:getSecretVersion":
            secret = args.args.get("secret", "")
            name = f"projects/{self.project_number}/secrets/{secret}/versions/1"
            return {"secret": secret, "version": "1", "name": name, "enabled": True, "id": name}, []
        return {}, []

    def _outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(id, outputs) for a resource of type `typ`, as Google Cloud would report them."""
        project = str(inputs.get("project") or self.project)
        physical = str(inputs.get("name") or name)
        if typ == RANDOM_PASSWORD:
            value = f"mock-password-{digest(name, 16)}"
            with self._lock:
                self.secret_values.add(value)
            return f"{name}-id", {"result": value}
        if typ == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
            full = f"projects/{project}/serviceAccounts/{email}"
            return full, {"email": email, "member": f"serviceAccount:{email}", "name": full}
        if typ == "gcp:secretmanager/secret:Secret":
            secret = inputs["secretId"]
            return f"projects/{project}/secrets/{secret}", {
                "name": f"projects/{self.project_number}/secrets/{secret}"
            }
        if typ == "gcp:secretmanager/secretVersion:SecretVersion":
            version = f"{inputs.get('secret')}/versions/1"
            return version, {"version": "1", "name": version}
        if typ == "gcp:sql/databaseInstance:DatabaseInstance":
            region = inputs.get("region") or self.region
            return physical, {
                "name": physical,
                "connectionName": f"{project}:{region}:{physical}",
                "privateIpAddress": "10.0.0.3",
                "selfLink": f"{SQL_ADMIN}/projects/{project}/instances/{physical}",
            }
        if typ == "gcp:storage/bucket:Bucket":
            return physical, {"name": physical, "url": f"gs://{physical}"}
        if typ == "gcp:cloudrunv2/service:Service":
            region = inputs.get("location") or self.region
            uri = f"https://{physical}-{self.project_number}.{region}.run.app"
            return f"projects/{project}/locations/{region}/services/{physical}", {
                "name": physical,
                "uri": uri,
                "urls": [uri],
            }
        if typ == "gcp:cloudrunv2/workerPool:WorkerPool":
            region = inputs.get("location") or self.region
            return f"projects/{project}/locations/{region}/workerPools/{physical}", {
                "name": physical
            }
        if typ == "gcp:redis/instance:Instance":
            auth = f"mock-auth-{digest(name, 16)}"
            with self._lock:
                self.secret_values.add(auth)
            region = inputs.get("region") or self.region
            tls = inputs.get("transitEncryptionMode") == "SERVER_AUTHENTICATION"
            return f"projects/{project}/locations/{region}/instances/{physical}", {
                "name": physical,
                "host": "10.0.0.4",
                "port": 6378 if tls else 6379,
                "authString": auth,
                "serverCaCerts": [{"cert": MOCK_CA}] if tls else [],
            }
        if typ == "gcp:cloudrunv2/job:Job":
            region = inputs.get("location") or self.region
            return f"projects/{project}/locations/{region}/jobs/{physical}", {"name": physical}
        if typ == "gcp:artifactregistry/repository:Repository":
            location = inputs.get("location") or self.region
            repo = inputs["repositoryId"]
            return f"projects/{project}/locations/{location}/repositories/{repo}", {
                "name": repo,
                "registryUri": f"{location}-docker.pkg.dev/{project}/{repo}",
            }
        if typ == "gcp:monitoring/notificationChannel:NotificationChannel":
            channel = f"projects/{project}/notificationChannels/{digest(name, 10)}"
            return channel, {"name": channel}
        if typ == "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            check = f"{name}-{digest(name, 6)}"
            return f"projects/{project}/uptimeCheckConfigs/{check}", {
                "uptimeCheckId": check,
                "name": f"projects/{project}/uptimeCheckConfigs/{check}",
            }
        if typ == "gcp:monitoring/genericService:GenericService":
            service = inputs.get("serviceId", name)
            return f"projects/{project}/services/{service}", {"serviceId": service}
        if typ.startswith("gcp:compute/"):
            return self._compute(typ, physical, project, inputs)
        return f"{name}-id", {"name": physical}

    def _compute(
        self, typ: str, physical: str, project: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """A compute resource's path and self link; a global address gets a documentation
        address (RFC 5737, RFC 3849) of its IP version."""
        collection = _COMPUTE_COLLECTIONS.get(typ, "resources")
        if typ == "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup":
            region = inputs.get("region") or self.region
            path = f"projects/{project}/regions/{region}/networkEndpointGroups/{physical}"
        else:
            path = f"projects/{project}/global/{collection}/{physical}"
        outputs: dict[str, Any] = {"name": physical, "selfLink": f"{COMPUTE}/{path}"}
        if typ == "gcp:compute/globalAddress:GlobalAddress":
            ipv6 = inputs.get("ipVersion") == "IPV6"
            outputs["address"] = "2001:db8::1" if ipv6 else "203.0.113.10"
        return path, outputs


class Recorder:
    """A transformation that records declaration order, explicit dependencies, timeouts."""

    def __init__(self) -> None:
        self.order: list[Key] = []
        self.depends_on: dict[Key, list[Key]] = {}
        self.timeouts: dict[Key, pulumi.CustomTimeouts] = {}
        self._keys: dict[int, Key] = {}

    def __call__(
        self, args: pulumi.ResourceTransformationArgs
    ) -> pulumi.ResourceTransformationResult | None:
        key = (args.type_, args.name)
        self._keys[id(args.resource)] = key
        self.order.append(key)
        depends = args.opts.depends_on if args.opts is not None else None
        resources = depends if isinstance(depends, list) else []
        self.depends_on[key] = [
            self._keys[id(dep)]
            for dep in resources
            if isinstance(dep, pulumi.Resource)
            if id(dep) in self._keys
        ]
        timeouts = args.opts.custom_timeouts if args.opts is not None else None
        if timeouts is not None:
            self.timeouts[key] = timeouts
        return None

    def options(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(transformations=[self])
