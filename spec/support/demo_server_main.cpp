// oauth2-rest-demo-server: placeholder until the demo API lands.
int main() { return 0; }
