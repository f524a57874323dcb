@crypto
Feature: The client certificate uses strong enough cryptography
  Weak keys and broken hashes must not authenticate anyone: RSA-1024 and
  SHA-1 signatures (NIST SP 800-131A) and MD5 signatures (RFC 6151). Which modern key types a server
  accepts is reported for information and never fails a run.

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                       | rule                    |
      | gRPC     | x509/crypto/rsa-1024       | NIST SP 800-131A Rev. 2 |
      | gRPC     | x509/crypto/sha1-signature | NIST SP 800-131A Rev. 2 |
      | gRPC     | x509/crypto/md5-signature  | RFC 6151 2              |

    @http2
    Examples: HTTP/2
      | protocol | case                       | rule                    |
      | HTTP/2   | x509/crypto/rsa-1024       | NIST SP 800-131A Rev. 2 |
      | HTTP/2   | x509/crypto/sha1-signature | NIST SP 800-131A Rev. 2 |
      | HTTP/2   | x509/crypto/md5-signature  | RFC 6151 2              |

    @tls
    Examples: raw TLS
      | protocol | case                       | rule                    |
      | raw TLS  | x509/crypto/rsa-1024       | NIST SP 800-131A Rev. 2 |
      | raw TLS  | x509/crypto/sha1-signature | NIST SP 800-131A Rev. 2 |
      | raw TLS  | x509/crypto/md5-signature  | RFC 6151 2              |

  Scenario Outline: <protocol> answers <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target answers, which is recorded, as "<rule>" asks

    @grpc
    Examples: gRPC
      | protocol | case                         | rule           |
      | gRPC     | x509/crypto/key/ec-p256      | RFC 8446 4.2.3 |
      | gRPC     | x509/crypto/key/ec-p384      | RFC 8446 4.2.3 |
      | gRPC     | x509/crypto/key/rsa-2048     | RFC 8446 4.2.3 |
      | gRPC     | x509/crypto/key/rsa-pss-2048 | RFC 8446 4.2.3 |
      | gRPC     | x509/crypto/key/ed25519      | RFC 8446 4.2.3 |

    @http2
    Examples: HTTP/2
      | protocol | case                         | rule           |
      | HTTP/2   | x509/crypto/key/ec-p256      | RFC 8446 4.2.3 |
      | HTTP/2   | x509/crypto/key/ec-p384      | RFC 8446 4.2.3 |
      | HTTP/2   | x509/crypto/key/rsa-2048     | RFC 8446 4.2.3 |
      | HTTP/2   | x509/crypto/key/rsa-pss-2048 | RFC 8446 4.2.3 |
      | HTTP/2   | x509/crypto/key/ed25519      | RFC 8446 4.2.3 |

    @tls
    Examples: raw TLS
      | protocol | case                         | rule           |
      | raw TLS  | x509/crypto/key/ec-p256      | RFC 8446 4.2.3 |
      | raw TLS  | x509/crypto/key/ec-p384      | RFC 8446 4.2.3 |
      | raw TLS  | x509/crypto/key/rsa-2048     | RFC 8446 4.2.3 |
      | raw TLS  | x509/crypto/key/rsa-pss-2048 | RFC 8446 4.2.3 |
      | raw TLS  | x509/crypto/key/ed25519      | RFC 8446 4.2.3 |
