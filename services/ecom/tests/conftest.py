import pytest
from factories import SigningKey, new_signing_key


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return new_signing_key()
