@revocation
Feature: The server honours its CA's revocation list
  RFC 5280 6.3: a certificate on the issuer's CRL must be refused. The
  built-in servers load the run's CRL; an external target runs this case
  only with --target-has-crl, after loading the CRL written by --crl-out.

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                    | rule         |
      | gRPC     | x509/revocation/revoked | RFC 5280 6.3 |

    @http2
    Examples: HTTP/2
      | protocol | case                    | rule         |
      | HTTP/2   | x509/revocation/revoked | RFC 5280 6.3 |

    @tls
    Examples: raw TLS
      | protocol | case                    | rule         |
      | raw TLS  | x509/revocation/revoked | RFC 5280 6.3 |
