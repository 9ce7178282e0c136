def keep():
    pass

def change():
    return 'b'
