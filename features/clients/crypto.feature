@client @crypto
Feature: The client refuses weak server keys and signatures
  NIST SP 800-131A: RSA keys below 2048 bits and SHA-1 signatures are
  disallowed; RFC 6151: MD5 is not collision resistant.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                         | rule                    |
      | client/crypto/rsa-1024       | NIST SP 800-131A Rev. 2 |
      | client/crypto/sha1-signature | NIST SP 800-131A Rev. 2 |
      | client/crypto/md5-signature  | RFC 6151 2              |
