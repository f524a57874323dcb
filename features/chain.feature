@chain
Feature: The client certificate chains to a CA the server trusts
  RFC 5280 6.1: path validation from the trust anchor to the leaf, checking
  every signature, every issuer's CA flag, key usage and path length. An
  intermediate the client sends along is fine (RFC 8446 4.4.2); one it does
  not send cannot be found.

  Scenario Outline: <protocol> accepts <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                         | rule           |
      | gRPC     | x509/chain/intermediate-sent | RFC 8446 4.4.2 |

    @http2
    Examples: HTTP/2
      | protocol | case                         | rule           |
      | HTTP/2   | x509/chain/intermediate-sent | RFC 8446 4.4.2 |

    @tls
    Examples: raw TLS
      | protocol | case                         | rule           |
      | raw TLS  | x509/chain/intermediate-sent | RFC 8446 4.4.2 |

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                                  | rule             |
      | gRPC     | x509/chain/untrusted-ca               | RFC 5280 6.1     |
      | gRPC     | x509/chain/self-signed                | RFC 5280 6.1     |
      | gRPC     | x509/chain/impostor-ca                | RFC 5280 6.1.3   |
      | gRPC     | x509/chain/intermediate-missing       | RFC 5280 6.1     |
      | gRPC     | x509/chain/pathlen-exceeded           | RFC 5280 4.2.1.9 |
      | gRPC     | x509/chain/issuer-not-ca              | RFC 5280 6.1.4   |
      | gRPC     | x509/chain/issuer-without-keycertsign | RFC 5280 4.2.1.3 |
      | gRPC     | x509/chain/bad-signature              | RFC 5280 6.1.3   |

    @http2
    Examples: HTTP/2
      | protocol | case                                  | rule             |
      | HTTP/2   | x509/chain/untrusted-ca               | RFC 5280 6.1     |
      | HTTP/2   | x509/chain/self-signed                | RFC 5280 6.1     |
      | HTTP/2   | x509/chain/impostor-ca                | RFC 5280 6.1.3   |
      | HTTP/2   | x509/chain/intermediate-missing       | RFC 5280 6.1     |
      | HTTP/2   | x509/chain/pathlen-exceeded           | RFC 5280 4.2.1.9 |
      | HTTP/2   | x509/chain/issuer-not-ca              | RFC 5280 6.1.4   |
      | HTTP/2   | x509/chain/issuer-without-keycertsign | RFC 5280 4.2.1.3 |
      | HTTP/2   | x509/chain/bad-signature              | RFC 5280 6.1.3   |

    @tls
    Examples: raw TLS
      | protocol | case                                  | rule             |
      | raw TLS  | x509/chain/untrusted-ca               | RFC 5280 6.1     |
      | raw TLS  | x509/chain/self-signed                | RFC 5280 6.1     |
      | raw TLS  | x509/chain/impostor-ca                | RFC 5280 6.1.3   |
      | raw TLS  | x509/chain/intermediate-missing       | RFC 5280 6.1     |
      | raw TLS  | x509/chain/pathlen-exceeded           | RFC 5280 4.2.1.9 |
      | raw TLS  | x509/chain/issuer-not-ca              | RFC 5280 6.1.4   |
      | raw TLS  | x509/chain/issuer-without-keycertsign | RFC 5280 4.2.1.3 |
      | raw TLS  | x509/chain/bad-signature              | RFC 5280 6.1.3   |
