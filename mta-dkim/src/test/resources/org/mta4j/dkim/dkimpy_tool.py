"""dkimpy (python3-dkim) as a test peer for mta4j's DKIM tests; never touches public DNS.

  verify KEYS DIR             verify every signature of every *.eml in DIR; KEYS holds lines
                              "<selector>._domainkey.<domain> <TXT record>". Prints one line per
                              signature: "<file> <index> pass|fail <detail>", or "<file> - none".
  sign DIR OUT SEL DOMAIN KEY ALG HC BC
                              sign every *.eml in DIR into OUT with dkimpy (KEY: PKCS#1 PEM for
                              rsa-sha256, base64 seed for ed25519-sha256).
"""
import os
import sys

import dkim

SIGNED = [b'from', b'to', b'cc', b'subject', b'date', b'message-id', b'mime-version',
          b'content-type', b'content-transfer-encoding', b'reply-to', b'in-reply-to',
          b'references']


def load_keys(path):
    keys = {}
    with open(path, 'rb') as f:
        for line in f:
            line = line.strip()
            if line:
                name, record = line.split(b' ', 1)
                keys[name.lower().rstrip(b'.')] = record
    return keys


def verify(keys_path, directory):
    keys = load_keys(keys_path)

    def dnsfunc(name, timeout=5):
        return keys.get(name.lower().rstrip(b'.'))

    for name in sorted(os.listdir(directory)):
        if not name.endswith('.eml'):
            continue
        with open(os.path.join(directory, name), 'rb') as f:
            message = f.read()
        d = dkim.DKIM(message)
        count = sum(1 for h in d.headers if h[0].lower() == b'dkim-signature')
        if count == 0:
            print(name, '-', 'none')
        for idx in range(count):
            try:
                ok = dkim.DKIM(message).verify(idx=idx, dnsfunc=dnsfunc)
                print(name, idx, 'pass' if ok else 'fail', 'signature-or-body-hash-mismatch')
            except dkim.DKIMException as e:
                print(name, idx, 'fail', str(e).replace('\n', ' '))


def sign(directory, out, selector, domain, key_path, algorithm, hc, bc):
    with open(key_path, 'rb') as f:
        key = f.read().strip()
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.eml'):
            continue
        with open(os.path.join(directory, name), 'rb') as f:
            message = f.read()
        headers = [h for h in SIGNED
                   if (b'\n' + h + b':') in (b'\n' + message.split(b'\r\n\r\n')[0].lower())]
        signature = dkim.sign(message, selector.encode(), domain.encode(), key,
                              canonicalize=(hc.encode(), bc.encode()),
                              signature_algorithm=algorithm.encode(),
                              include_headers=headers)
        with open(os.path.join(out, name), 'wb') as f:
            f.write(signature + message)
        print(name, 'signed')


if __name__ == '__main__':
    if sys.argv[1] == 'verify':
        verify(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == 'sign':
        sign(*sys.argv[2:10])
    else:
        sys.exit('unknown command ' + sys.argv[1])
