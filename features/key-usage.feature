@key-usage
Feature: The client certificate is meant for client authentication
  RFC 5280 4.2.1.12: when the extended key usage extension is present, the
  certificate may only be used for the purposes it lists. A certificate issued
  for a server is not a client credential.

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                            | rule               |
      | gRPC     | x509/usage/eku-server-auth-only | RFC 5280 4.2.1.12 |

    @http2
    Examples: HTTP/2
      | protocol | case                            | rule               |
      | HTTP/2   | x509/usage/eku-server-auth-only | RFC 5280 4.2.1.12 |

    @tls
    Examples: raw TLS
      | protocol | case                            | rule               |
      | raw TLS  | x509/usage/eku-server-auth-only | RFC 5280 4.2.1.12 |
