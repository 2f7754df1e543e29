"""`django-cloudrun init`: put an existing Django project on Cloud Run.

detect_project() reads the project, plan_init() computes every file to write or edit (a
Plan of Changes, with diffs), apply_changes() writes them atomically. Deploy-side only: the
container runtime never imports this package.
"""

from __future__ import annotations

from .apply import apply_changes
from .errors import ScaffoldError
from .managers import Manager
from .plan import Action, Change, InitChoices, Plan, plan_init
from .project import Project, detect_project
from .vcs import default_project_id, git_changes, github_repository

__all__ = [
    "Action",
    "Change",
    "InitChoices",
    "Manager",
    "Plan",
    "Project",
    "ScaffoldError",
    "apply_changes",
    "default_project_id",
    "detect_project",
    "git_changes",
    "github_repository",
    "plan_init",
]
