from servicekit.errors import Forbidden, ServiceUnavailable, Unauthorized


class InvalidToken(Unauthorized):
    pass


class MissingRole(Forbidden):
    def __init__(self, role: str) -> None:
        super().__init__(f"requires the {role!r} role")


class KeysUnavailable(ServiceUnavailable):
    code = "identity_provider_unavailable"

    def __init__(self) -> None:
        super().__init__("cannot fetch the identity provider's signing keys")
