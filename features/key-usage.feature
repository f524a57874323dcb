@key-usage
Feature: The client certificate is meant for client authentication
  RFC 5280 4.2.1.3, 4.2.1.9 and 4.2.1.12: key usage, basic constraints and
  extended key usage limit what a certificate may be used for, and an
  extension marked critical that the verifier does not understand means
  the certificate must be refused (RFC 5280 4.2).

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                                    | rule              |
      | gRPC     | x509/usage/eku-server-auth-only         | RFC 5280 4.2.1.12 |
      | gRPC     | x509/usage/eku-code-signing-only        | RFC 5280 4.2.1.12 |
      | gRPC     | x509/usage/ku-without-digital-signature | RFC 5280 4.2.1.3  |
      | gRPC     | x509/usage/leaf-is-ca                   | RFC 5280 4.2.1.9  |
      | gRPC     | x509/usage/unknown-critical-extension   | RFC 5280 4.2      |

    @http2
    Examples: HTTP/2
      | protocol | case                                    | rule              |
      | HTTP/2   | x509/usage/eku-server-auth-only         | RFC 5280 4.2.1.12 |
      | HTTP/2   | x509/usage/eku-code-signing-only        | RFC 5280 4.2.1.12 |
      | HTTP/2   | x509/usage/ku-without-digital-signature | RFC 5280 4.2.1.3  |
      | HTTP/2   | x509/usage/leaf-is-ca                   | RFC 5280 4.2.1.9  |
      | HTTP/2   | x509/usage/unknown-critical-extension   | RFC 5280 4.2      |

    @tls
    Examples: raw TLS
      | protocol | case                                    | rule              |
      | raw TLS  | x509/usage/eku-server-auth-only         | RFC 5280 4.2.1.12 |
      | raw TLS  | x509/usage/eku-code-signing-only        | RFC 5280 4.2.1.12 |
      | raw TLS  | x509/usage/ku-without-digital-signature | RFC 5280 4.2.1.3  |
      | raw TLS  | x509/usage/leaf-is-ca                   | RFC 5280 4.2.1.9  |
      | raw TLS  | x509/usage/unknown-critical-extension   | RFC 5280 4.2      |
