@tokens
Feature: Bearer tokens over mTLS are verified, and bound to the client's certificate
  The certificate says which workload calls; a bearer token (RFC 6750) says
  on whose behalf. A resource server must verify the token's signature with
  the issuer's key and algorithm (RFC 7515, RFC 8725), its claims (RFC 7519)
  and, for certificate-bound tokens, that cnf."x5t#S256" is the thumbprint of
  the very certificate this connection presented (RFC 8705 3). Each case
  pairs the valid certificate with a defective token, or a valid token with
  the wrong certificate; the control is the valid certificate with a valid,
  bound token. A refusal is HTTP 401 with WWW-Authenticate error="invalid_token"
  or gRPC UNAUTHENTICATED; another 4xx is a SHOULD-tier mismatch.

  Scenario Outline: <protocol> accepts <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @grpc-jwt
    Examples: gRPC + JWT
      | protocol   | case      | rule       |
      | gRPC + JWT | jwt/valid | RFC 8705 3 |

    @http2-jwt
    Examples: HTTP/2 + JWT
      | protocol     | case      | rule       |
      | HTTP/2 + JWT | jwt/valid | RFC 8705 3 |

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc-jwt
    Examples: gRPC + JWT
      | protocol   | case                                | rule            |
      | gRPC + JWT | jwt/missing                         | RFC 6750 3      |
      | gRPC + JWT | jwt/claims/expired                  | RFC 7519 4.1.4  |
      | gRPC + JWT | jwt/claims/not-yet-valid            | RFC 7519 4.1.5  |
      | gRPC + JWT | jwt/claims/issued-in-future         | RFC 7519 4.1.6  |
      | gRPC + JWT | jwt/claims/wrong-audience           | RFC 7519 4.1.3  |
      | gRPC + JWT | jwt/claims/wrong-issuer             | RFC 8725 3.8    |
      | gRPC + JWT | jwt/signature/bad                   | RFC 7515 5.2    |
      | gRPC + JWT | jwt/alg/none                        | RFC 8725 3.1    |
      | gRPC + JWT | jwt/alg/none-capitalized            | RFC 8725 3.1    |
      | gRPC + JWT | jwt/alg/hs256-with-public-key       | RFC 8725 3.1    |
      | gRPC + JWT | jwt/header/unknown-kid              | RFC 7515 4.1.4  |
      | gRPC + JWT | jwt/header/jwk                      | RFC 8725 3.10   |
      | gRPC + JWT | jwt/header/jku                      | RFC 8725 3.10   |
      | gRPC + JWT | jwt/header/x5u                      | RFC 8725 3.10   |
      | gRPC + JWT | jwt/header/unknown-crit             | RFC 7515 4.1.11 |
      | gRPC + JWT | jwt/header/two-authorization-fields | RFC 6750 2.1    |
      | gRPC + JWT | jwt/cnf/bound-to-another-client     | RFC 8705 3      |
      | gRPC + JWT | jwt/cnf/presented-by-another-client | RFC 8705 3      |
      | gRPC + JWT | jwt/cnf/missing                     | RFC 8705 3      |
      | gRPC + JWT | jwt/cnf/hex-thumbprint              | RFC 8705 3.1    |
      | gRPC + JWT | jwt/cnf/issuer-thumbprint           | RFC 8705 3.1    |

    @http2-jwt
    Examples: HTTP/2 + JWT
      | protocol     | case                                | rule            |
      | HTTP/2 + JWT | jwt/missing                         | RFC 6750 3      |
      | HTTP/2 + JWT | jwt/claims/expired                  | RFC 7519 4.1.4  |
      | HTTP/2 + JWT | jwt/claims/not-yet-valid            | RFC 7519 4.1.5  |
      | HTTP/2 + JWT | jwt/claims/issued-in-future         | RFC 7519 4.1.6  |
      | HTTP/2 + JWT | jwt/claims/wrong-audience           | RFC 7519 4.1.3  |
      | HTTP/2 + JWT | jwt/claims/wrong-issuer             | RFC 8725 3.8    |
      | HTTP/2 + JWT | jwt/signature/bad                   | RFC 7515 5.2    |
      | HTTP/2 + JWT | jwt/alg/none                        | RFC 8725 3.1    |
      | HTTP/2 + JWT | jwt/alg/none-capitalized            | RFC 8725 3.1    |
      | HTTP/2 + JWT | jwt/alg/hs256-with-public-key       | RFC 8725 3.1    |
      | HTTP/2 + JWT | jwt/header/unknown-kid              | RFC 7515 4.1.4  |
      | HTTP/2 + JWT | jwt/header/jwk                      | RFC 8725 3.10   |
      | HTTP/2 + JWT | jwt/header/jku                      | RFC 8725 3.10   |
      | HTTP/2 + JWT | jwt/header/x5u                      | RFC 8725 3.10   |
      | HTTP/2 + JWT | jwt/header/unknown-crit             | RFC 7515 4.1.11 |
      | HTTP/2 + JWT | jwt/header/two-authorization-fields | RFC 6750 2.1    |
      | HTTP/2 + JWT | jwt/cnf/bound-to-another-client     | RFC 8705 3      |
      | HTTP/2 + JWT | jwt/cnf/presented-by-another-client | RFC 8705 3      |
      | HTTP/2 + JWT | jwt/cnf/missing                     | RFC 8705 3      |
      | HTTP/2 + JWT | jwt/cnf/hex-thumbprint              | RFC 8705 3.1    |
      | HTTP/2 + JWT | jwt/cnf/issuer-thumbprint           | RFC 8705 3.1    |
