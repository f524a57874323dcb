@spiffe
Feature: The server authorizes the client's SPIFFE ID
  An X509-SVID carries its SPIFFE ID as its one URI SAN (SPIFFE X509-SVID 2),
  is not a CA and cannot sign certificates (4.1, 4.3). A certificate that
  chains to the trust bundle proves who the client is, not that it may call:
  the server must also check the ID. External targets run these cases only
  with --spiffe-id, the ID the target authorizes.

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                       | rule                 |
      | gRPC     | spiffe/wrong-id            | SPIFFE X509-SVID 2   |
      | gRPC     | spiffe/wrong-trust-domain  | SPIFFE-ID 2.1        |
      | gRPC     | spiffe/two-uri-sans        | SPIFFE X509-SVID 2   |
      | gRPC     | spiffe/non-spiffe-uri      | SPIFFE X509-SVID 5.2 |
      | gRPC     | spiffe/root-path           | SPIFFE X509-SVID 3.1 |
      | gRPC     | spiffe/svid-is-ca          | SPIFFE X509-SVID 4.1 |
      | gRPC     | spiffe/keycertsign-on-leaf | SPIFFE X509-SVID 4.3 |

    @http2
    Examples: HTTP/2
      | protocol | case                       | rule                 |
      | HTTP/2   | spiffe/wrong-id            | SPIFFE X509-SVID 2   |
      | HTTP/2   | spiffe/wrong-trust-domain  | SPIFFE-ID 2.1        |
      | HTTP/2   | spiffe/two-uri-sans        | SPIFFE X509-SVID 2   |
      | HTTP/2   | spiffe/non-spiffe-uri      | SPIFFE X509-SVID 5.2 |
      | HTTP/2   | spiffe/root-path           | SPIFFE X509-SVID 3.1 |
      | HTTP/2   | spiffe/svid-is-ca          | SPIFFE X509-SVID 4.1 |
      | HTTP/2   | spiffe/keycertsign-on-leaf | SPIFFE X509-SVID 4.3 |

    @tls
    Examples: raw TLS
      | protocol | case                       | rule                 |
      | raw TLS  | spiffe/wrong-id            | SPIFFE X509-SVID 2   |
      | raw TLS  | spiffe/wrong-trust-domain  | SPIFFE-ID 2.1        |
      | raw TLS  | spiffe/two-uri-sans        | SPIFFE X509-SVID 2   |
      | raw TLS  | spiffe/non-spiffe-uri      | SPIFFE X509-SVID 5.2 |
      | raw TLS  | spiffe/root-path           | SPIFFE X509-SVID 3.1 |
      | raw TLS  | spiffe/svid-is-ca          | SPIFFE X509-SVID 4.1 |
      | raw TLS  | spiffe/keycertsign-on-leaf | SPIFFE X509-SVID 4.3 |
