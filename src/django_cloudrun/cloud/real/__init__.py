"""The real clients: Pulumi's Automation API and the google-cloud-* libraries.

Nothing else in the package talks to Google or to the Pulumi CLI. Each module imports its
library inside the methods that use it, so importing this package loads none of them.
"""
