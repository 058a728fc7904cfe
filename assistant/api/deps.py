"""Dependencies, named for what routes need."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.index import OpenIndex
from assistant.service import AssistantService


def get_service(request: Request) -> AssistantService:
    return request.app.state.service


def get_index(service: Annotated[AssistantService, Depends(get_service)]) -> OpenIndex:
    return service.index()  # raises IndexNotReady/IndexUnavailable -> 503 by the app's handlers


Service = Annotated[AssistantService, Depends(get_service)]
Index = Annotated[OpenIndex, Depends(get_index)]
