/** Official and recomputed test vectors from ../shared/channels.md §1.5 (TV-1…TV-5) and §1.1. */
export const TV1 = {
  token: 'spamtest',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  aesKeyHex: '69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051',
  appId: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  encrypt: 'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  random: '89465c840c5f116f',
  message: '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>',
};

export const TV2 = {
  random: 'a'.repeat(16),
  message: '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>6054768590064713729</MsgId></xml>',
  encrypt: '5I0ViYLQqCiDyNw9bygZh2lCcbn5dnyjg4gLUSbRLasnnoRhg/nnBUDujY0E1I0V+phHh9vV7DftZbOL+TgzAKUCqWiPC+odMf0hrtBOshXST7gXTPEeUlSC0P3zrbUWggeqYPaDt4j0vmJxkHUB2Anu8HO8isOeTJnI0Ic3y2bqULif2INvW09bb/P8G2yadXUv5HRTrJvXn3Qe2kvdyl/SMotWHekvI3dr/rVE3wqpTZHiiHejk0+hpzVXBCQIJHY/cVO+5G1mXjj3EtEBPX+DegGU0Tk7V9abNTzB8pysAAkX03+XD4JUrkxOVq2xUF7XiwORk0oH7bYbXMQTfv4GQbk4v8jqW5rpRrWbnAmr86DfDiy8cmp9MB6M71R8sXOpDUEpOYGFwJ9r1GspYg9QM+7LkxkntX9OJngvkzo=',
  msgSignature: '873c099a9d2130e21a3576ef3c24dec01b5531f4',
};

/** Tencent's WeCom sample (Sample.cs): URL verification and a text message. */
export const TV3 = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  verify: {
    msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
    timestamp: '1409659589',
    nonce: '263014780',
    echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
    reply: '1616140317555161061',
  },
  message: {
    msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
    timestamp: '1409659813',
    nonce: '1372623149',
    encrypt: 'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
  },
};

/** Mini program JSON ciphertext (co60/WXBizMsgCrypt4Go test). */
export const TV5 = {
  encodingAESKey: 'ipVu9915NKvK5ZRRXn9pkTF1FoOJF7nk1CEk8NJoudd',
  appId: 'wx4ab900c96f6b0360',
  encrypt: 'jG+iGb/r82M4jUBFYa/wuQHj+E4X/oddKjzAAwtlc49HC/xhAPq/Gm0gIXD3llPRnzVSonZGcjcUGOe5yh5HtTGAQexL1ZVJHlaLlBjXUVcxwLk6I7rQwjFMlenRyb4uOYgIm+qh946y5sHIUnziRpFo+3t8QcZTmR4EPs+0tJN+P9P9BWiSaMnFmJEywSgk8FH+nrEMPx30Y59qAOqtUfaxdoh4LJfTFsBF8gCuXjhpyixdIFbmUYOp3A1OWnfQNcLjzaBPglpeGgyuUByXb/Od++wFTnCugNuZruxk1As=',
};

/** §1.1: token=token, timestamp=1714112445, nonce=415670741. */
export const URL_VERIFY = { token: 'token', timestamp: '1714112445', nonce: '415670741', signature: '0c48e8def4a21319f45c1175aef96e9ee9bf0ba3' };
